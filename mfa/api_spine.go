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
