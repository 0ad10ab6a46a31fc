package store

import (
	"slices"
	"time"
)

// Factor kinds: what a user proves besides, or instead of, a password.
const (
	// FactorPasskey is a WebAuthn credential: a passkey (a discoverable
	// credential, which can sign in without a username) or a security key
	// used as a second factor.
	FactorPasskey = "passkey"
	// FactorTOTP is a time-based one-time password generator (RFC 6238).
	FactorTOTP = "totp"
)

// Factor is an authentication factor a user enrolled. The store keeps its
// kind's state opaque; package mfa gives it meaning.
type Factor struct {
	// ID is random, unique across users.
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Kind is FactorPasskey or FactorTOTP.
	Kind string `json:"kind"`
	// Name is the user's label for it ("YubiKey", "Phone").
	Name string `json:"name"`
	// CredentialID is a passkey's WebAuthn credential ID, unique across
	// every user, by which a username-less sign-in finds its factor;
	// empty for other kinds.
	CredentialID []byte `json:"credential_id,omitempty"`
	// Data is the kind's state: a passkey's public key and counters, a
	// TOTP secret sealed by mfa.Sealer. Never shown, never logged.
	Data []byte `json:"data"`
	// LastStep is the last TOTP time step accepted: a code of that step or
	// an earlier one is refused (RFC 6238 section 5.2).
	LastStep int64 `json:"last_step,omitempty"`
	// CreatedAt is when it was enrolled; LastUsedAt when it last proved a
	// sign-in (zero: never).
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// WithoutFactor returns factors less the one with ID id, and whether it
// was there: what a DeleteFactor check is given.
func WithoutFactor(factors []Factor, id string) ([]Factor, bool) {
	i := slices.IndexFunc(factors, func(f Factor) bool { return f.ID == id })
	if i < 0 {
		return factors, false
	}
	return slices.Delete(slices.Clone(factors), i, i+1), true
}
