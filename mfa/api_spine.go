package mfa

// This file is the contract the mfa helper fills in; each declaration
// moves to its own file (totp.go, recovery.go, seal.go, webauthn.go) with
// its implementation, and this file is deleted.

import (
	"errors"
	"time"

	"github.com/portcullis/portcullis/store"
)

var errTODO = errors.New("mfa: not implemented yet")

// Sealer encrypts factor secrets and ceremony state with AES-256-GCM under
// keys derived (HKDF-SHA256) from the server secret, so every instance
// opens what another sealed. The associated data binds a blob to its
// purpose and owner: a blob copied elsewhere does not open.
type Sealer struct{}

// NewSealer derives the Sealer's keys from the server secret (keys.Secret).
func NewSealer(secret []byte) (*Sealer, error) { return nil, errTODO }

// Seal encrypts plaintext for purpose (e.g. "totp") and owner (e.g. the
// factor ID).
func (s *Sealer) Seal(purpose, owner string, plaintext []byte) []byte { return nil }

// Open decrypts what Seal sealed for the same purpose and owner;
// ErrSealed when it does not authenticate.
func (s *Sealer) Open(purpose, owner string, sealed []byte) ([]byte, error) { return nil, errTODO }

// ErrSealed: a sealed blob was altered, expired, or sealed for something
// else.
var ErrSealed = errors.New("mfa: sealed data does not open")

// TOTP checks time-based one-time passwords (RFC 6238): SHA-1, 6 digits,
// 30-second steps, as every authenticator app supports, accepting one step
// of clock drift either way.
type TOTP struct {
	// Issuer names the deployment in authenticator apps (the otpauth
	// URI's issuer); Now is the clock (tests inject one).
	Issuer string
	Now    func() time.Time
	Sealer *Sealer
}

// TOTPEnrolment is a new TOTP secret before the user confirmed it.
type TOTPEnrolment struct {
	// Secret is base32, shown to type by hand; URI is the otpauth:// URI;
	// QRCode is a PNG of URI as a data: URL.
	Secret, URI, QRCode string
}

// New makes a secret for account (the username shown in the app).
func (t *TOTP) New(account string) (TOTPEnrolment, error) { return TOTPEnrolment{}, errTODO }

// Factor turns a confirmed enrolment into a store.Factor (its secret
// sealed under the factor's ID): code must be a valid current code of
// secret, and its step becomes LastStep, so it cannot be used again.
func (t *TOTP) Factor(id, userID, name, secret, code string) (store.Factor, error) {
	return store.Factor{}, errTODO
}

// Verify checks code against f within the drift window and returns the
// step it matched; ErrInvalidCode when it matches none, ErrReusedCode when
// it matches a step not after f.LastStep. The caller stores the step as
// LastStep inside store.UpdateFactor, which makes its use single.
func (t *TOTP) Verify(f store.Factor, code string) (step int64, err error) { return 0, errTODO }

// Errors of a one-time code or recovery code. Neither repeats the code.
var (
	ErrInvalidCode = errors.New("mfa: code is not valid")
	ErrReusedCode  = errors.New("mfa: code was already used")
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// NewRecoveryCodes makes RecoveryCodeCount codes to show once and their
// digests to store (store.ReplaceRecoveryCodes). Each has 60 random bits,
// written as xxxx-xxxx-xxxx in lower-case base32.
func NewRecoveryCodes() (codes, hashes []string) { return nil, nil }

// HashRecoveryCode is the digest a typed code is looked up by: spaces and
// dashes dropped, case folded, so a code typed loosely still matches.
func HashRecoveryCode(code string) string { return "" }

// WebAuthnConfig is the relying party (WebAuthn Level 3 section 5.1.3).
type WebAuthnConfig struct {
	// RPID is the relying party ID: the issuer's host unless set.
	RPID string
	// RPName is shown by authenticators: the deployment's name.
	RPName string
	// Origins are the origins assertions may come from: the issuer's
	// origin unless set.
	Origins []string
	Now     func() time.Time
	Sealer  *Sealer
	// Timeout bounds a ceremony: its sealed state expires after it.
	Timeout time.Duration
}

// WebAuthn runs registration and assertion ceremonies. Ceremony state is
// sealed (Sealer, purpose "webauthn") into a string the page posts back,
// expiring after Timeout; the challenge inside it is the caller's to spend
// once with store.UseOnce (Challenge returns it).
type WebAuthn struct{}

// NewWebAuthn builds the relying party.
func NewWebAuthn(cfg WebAuthnConfig) (*WebAuthn, error) { return nil, errTODO }

// Ceremony is what a page needs to run one ceremony: Options, the JSON of
// PublicKeyCredentialCreationOptions or RequestOptions for
// navigator.credentials, and State, posted back with the response.
type Ceremony struct {
	Options []byte
	State   string
}

// BeginRegistration starts registering a new passkey for u, excluding the
// credentials of existing (its passkey factors), asking for a discoverable
// credential and user verification when available.
func (w *WebAuthn) BeginRegistration(u store.User, existing []store.Factor) (Ceremony, error) {
	return Ceremony{}, errTODO
}

// FinishRegistration checks the authenticator's response (JSON of a
// PublicKeyCredential) against state and returns the new factor, unsaved,
// and the amr methods the registration proved (as an assertion would).
func (w *WebAuthn) FinishRegistration(u store.User, id, name, state string, response []byte) (store.Factor, []string, error) {
	return store.Factor{}, nil, errTODO
}

// BeginLogin starts an assertion: for u's passkeys (factors) as a second
// factor, or, with a zero u and no factors, for any discoverable
// credential (a username-less passkey sign-in, which requires user
// verification).
func (w *WebAuthn) BeginLogin(u store.User, factors []store.Factor) (Ceremony, error) {
	return Ceremony{}, errTODO
}

// FinishLogin checks an assertion against state. find returns the factor
// of the credential the response names and its user (for a username-less
// sign-in, by the user handle, which is the user's ID). It returns the
// factor with its counters updated (to store with UpdateFactor), and the
// amr methods proved: hwk or swk, user, and mfa when the authenticator
// verified the user.
func (w *WebAuthn) FinishLogin(state string, response []byte, find func(credentialID []byte, userHandle []byte) (store.User, store.Factor, error)) (store.User, store.Factor, []string, error) {
	return store.User{}, store.Factor{}, nil, errTODO
}

// Challenge returns the challenge inside a sealed state, for the caller
// to spend once (store.UseOnce) before accepting the response; "" when
// state does not open.
func (w *WebAuthn) Challenge(state string) string { return "" }

// ErrCeremony: a WebAuthn response was refused (wrong origin, challenge,
// signature, counter, user). Its wrapped detail names the check, never a
// secret.
var ErrCeremony = errors.New("mfa: webauthn response refused")
