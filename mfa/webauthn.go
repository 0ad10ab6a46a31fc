package mfa

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portcullis/portcullis/store"
)

// ErrCeremony: a WebAuthn response was refused (wrong origin, challenge,
// signature, counter, user). Its wrapped detail names the check, never a
// secret.
var ErrCeremony = errors.New("mfa: webauthn response refused")

// DefaultWebAuthnTimeout bounds a ceremony when WebAuthnConfig.Timeout is
// zero: the 300 000 ms WebAuthn Level 3 section 15.1 recommends when user
// verification is asked for.
const DefaultWebAuthnTimeout = 5 * time.Minute

// purposeWebAuthn seals ceremony state; the owner is the ceremony's kind,
// so a registration's state does not open as a login's.
const purposeWebAuthn = "webauthn"

// Ceremony kinds, the owners of sealed state. The two logins are apart:
// a second factor's state (user verification preferred) must not open as
// a username-less sign-in's (user verification required, the passkey
// alone signs in).
const (
	kindRegistration      = "registration"
	kindLoginDiscoverable = "login-discoverable"
	kindLoginSecond       = "login-second"
)

// WebAuthnConfig is the relying party (WebAuthn Level 3 section 5.1.3).
type WebAuthnConfig struct {
	// RPID is the relying party ID: the issuer's host unless set (the
	// caller applies that default; NewWebAuthn requires a value).
	RPID string
	// RPName is shown by authenticators: the deployment's name.
	RPName string
	// Origins are the origins assertions may come from: the issuer's
	// origin unless set (the caller applies that default; NewWebAuthn
	// requires at least one).
	Origins []string
	// Now is the clock that expires ceremony state, time.Now when nil.
	Now func() time.Time
	// Sealer seals ceremony state; required.
	Sealer *Sealer
	// Timeout bounds a ceremony: its sealed state expires after it, and
	// browsers are told to give up after it. Zero means
	// DefaultWebAuthnTimeout.
	Timeout time.Duration
}

// WebAuthn runs registration and assertion ceremonies. Ceremony state is
// sealed (Sealer, purpose "webauthn") into a string the page posts back,
// expiring after Timeout; the challenge inside it is the caller's to spend
// once with store.UseOnce (Challenge returns it).
type WebAuthn struct {
	rp      *webauthn.WebAuthn
	now     func() time.Time
	sealer  *Sealer
	timeout time.Duration
}

// NewWebAuthn builds the relying party.
func NewWebAuthn(cfg WebAuthnConfig) (*WebAuthn, error) {
	if cfg.Sealer == nil {
		return nil, errors.New("mfa: webauthn: no sealer")
	}
	if cfg.RPID == "" || len(cfg.Origins) == 0 {
		return nil, errors.New("mfa: webauthn: the relying party ID and its origins are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultWebAuthnTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	name := cfg.RPName
	if name == "" {
		name = cfg.RPID
	}
	// The library's own expiry reads time.Now; the sealed state's expiry,
	// on cfg.Now, is the one enforced.
	timeout := webauthn.TimeoutConfig{Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: name,
		RPOrigins:     cfg.Origins,
		Timeouts:      webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: webauthn: %w", err)
	}
	return &WebAuthn{rp: rp, now: cfg.Now, sealer: cfg.Sealer, timeout: cfg.Timeout}, nil
}

// Ceremony is what a page needs to run one ceremony: Options, the JSON of
// PublicKeyCredentialCreationOptions or RequestOptions for
// navigator.credentials, and State, posted back with the response.
type Ceremony struct {
	Options []byte
	State   string
}

// state is the plaintext of a sealed ceremony state: the library's
// session data (challenge, user, allowed credentials, user verification)
// and when it stops being accepted.
type state struct {
	Expires int64                `json:"exp"`
	Session webauthn.SessionData `json:"session"`
}

// ceremony seals session for kind and pairs it with the options.
func (w *WebAuthn) ceremony(kind string, options any, session *webauthn.SessionData) (Ceremony, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, fmt.Errorf("mfa: webauthn %s options: %w", kind, err)
	}
	plain, err := json.Marshal(state{Expires: w.now().Add(w.timeout).Unix(), Session: *session})
	if err != nil {
		return Ceremony{}, fmt.Errorf("mfa: webauthn %s state: %w", kind, err)
	}
	sealed := w.sealer.Seal(purposeWebAuthn, kind, plain)
	return Ceremony{Options: opts, State: base64.RawURLEncoding.EncodeToString(sealed)}, nil
}

// open returns the session data of a state sealed for kind that has not
// expired.
func (w *WebAuthn) open(kind, sealed string) (webauthn.SessionData, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return webauthn.SessionData{}, refused("state")
	}
	plain, err := w.sealer.Open(purposeWebAuthn, kind, raw)
	if err != nil {
		return webauthn.SessionData{}, refused("state")
	}
	var s state
	if err := json.Unmarshal(plain, &s); err != nil {
		return webauthn.SessionData{}, refused("state")
	}
	if !w.now().Before(time.Unix(s.Expires, 0)) {
		return webauthn.SessionData{}, refused("state expired")
	}
	return s.Session, nil
}

// Challenge returns the challenge inside a sealed state, for the caller
// to spend once (store.UseOnce) before accepting the response; "" when
// state does not open or has expired. The state expires at most Timeout
// after now, which bounds how long the spent challenge must be kept.
func (w *WebAuthn) Challenge(state string) string {
	for _, kind := range []string{kindLoginDiscoverable, kindLoginSecond, kindRegistration} {
		if s, err := w.open(kind, state); err == nil {
			return s.Challenge
		}
	}
	return ""
}

// refused is ErrCeremony naming the check that failed.
func refused(check string) error {
	return fmt.Errorf("%w: %s", ErrCeremony, check)
}

// refusedBy is ErrCeremony naming the check and the library's reason.
// Only the reason's text is kept: the library's wrapped errors and debug
// information may quote the challenge or the response.
func refusedBy(check string, err error) error {
	return fmt.Errorf("%w: %s: %s", ErrCeremony, check, err.Error())
}

// amr is what an authenticator's flags prove (RFC 8176 section 2): hwk for
// a credential bound to its device, swk for one that may be synced (backup
// eligible, WebAuthn Level 3 section 6.1.3), user when it tested presence
// and mfa when it verified the user itself.
func amr(flags protocol.AuthenticatorFlags) []string {
	methods := []string{AMRHardwareKey}
	if flags.HasBackupEligible() {
		methods[0] = AMRSoftwareKey
	}
	if flags.HasUserPresent() {
		methods = append(methods, AMRUserPresence)
	}
	if flags.HasUserVerified() {
		methods = append(methods, AMRMultiFactor)
	}
	return methods
}

// user adapts a store.User and its passkey factors to webauthn.User. The
// user handle is the user's ID (WebAuthn Level 3 section 14.6.1: not
// personally identifying), so a username-less sign-in finds the user by
// it.
type user struct {
	u     store.User
	creds []webauthn.Credential
}

func (a user) WebAuthnID() []byte   { return []byte(a.u.ID) }
func (a user) WebAuthnName() string { return a.u.Username }
func (a user) WebAuthnDisplayName() string {
	if name, ok := a.u.Claims["name"].(string); ok && name != "" {
		return name
	}
	return a.u.Username
}
func (a user) WebAuthnCredentials() []webauthn.Credential { return a.creds }

// newUser adapts u with the credentials of its passkey factors.
func newUser(u store.User, factors []store.Factor) (user, error) {
	a := user{u: u}
	for _, f := range factors {
		if f.Kind != store.FactorPasskey {
			continue
		}
		c, err := credential(f)
		if err != nil {
			return user{}, err
		}
		a.creds = append(a.creds, c)
	}
	return a, nil
}

// credential is the webauthn.Credential a passkey factor's Data holds.
func credential(f store.Factor) (webauthn.Credential, error) {
	var c webauthn.Credential
	if err := json.Unmarshal(f.Data, &c); err != nil {
		return c, fmt.Errorf("mfa: passkey factor %s: %w", f.ID, err)
	}
	return c, nil
}
