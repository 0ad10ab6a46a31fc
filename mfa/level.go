package mfa

import "slices"

// Authentication method references (RFC 8176 section 2) a sign-in records.
const (
	// AMRPassword: a password.
	AMRPassword = "pwd"
	// AMROTP: a one-time password, TOTP or a recovery code.
	AMROTP = "otp"
	// AMRHardwareKey: a WebAuthn credential bound to its device (not
	// backup eligible).
	AMRHardwareKey = "hwk"
	// AMRSoftwareKey: a WebAuthn credential that may be synced between
	// devices (a synced passkey: backup eligible).
	AMRSoftwareKey = "swk"
	// AMRUserPresence: the authenticator tested the user's presence.
	AMRUserPresence = "user"
	// AMRMultiFactor: more than one factor was used, or one
	// authenticator verified the user itself (a passkey with a PIN or a
	// biometric).
	AMRMultiFactor = "mfa"
	// AMRFederated: an upstream identity provider vouched for the user
	// (a connector's sign-in); what it asked for says its acr, if any.
	AMRFederated = "fed"
)

// Authentication context classes (the acr claim), from weakest to
// strongest. Each satisfies a request for itself or any weaker class.
const (
	// ACRSingleFactor: one factor, a password.
	ACRSingleFactor = "sfa"
	// ACRMultiFactor: two factors, at least one of them phishable (a
	// password and a one-time code).
	ACRMultiFactor = "mfa"
	// ACRPhishingResistant: a WebAuthn assertion was part of the sign-in,
	// bound to this origin, so no look-alike site can relay it (the "phr"
	// of OpenID's EAP ACR values).
	ACRPhishingResistant = "phr"
)

// ACRValues are the classes the server supports, weakest first, as
// discovery's acr_values_supported lists them.
var ACRValues = []string{ACRSingleFactor, ACRMultiFactor, ACRPhishingResistant}

// Level is the class a sign-in with the methods amr reached.
func Level(amr []string) string {
	multi := slices.Contains(amr, AMRMultiFactor)
	key := slices.Contains(amr, AMRHardwareKey) || slices.Contains(amr, AMRSoftwareKey)
	switch {
	case multi && key:
		return ACRPhishingResistant
	case multi:
		return ACRMultiFactor
	default:
		return ACRSingleFactor
	}
}

// rank orders the classes; -1 for one the server does not know.
func rank(acr string) int { return slices.Index(ACRValues, acr) }

// Satisfies reports whether a sign-in of class level meets a request for
// any of acrValues (in order of preference), and the acr claim to issue:
// the first requested class level meets, so that a token says what its
// client asked for. With no acrValues every level satisfies, and the claim
// is level itself. Unknown requested values are ignored (OpenID Connect
// Core section 3.1.2.1: acr_values is a voluntary claim); a request of
// only unknown values is met by any level, which the claim then states.
func Satisfies(level string, acrValues []string) (acr string, ok bool) {
	known := false
	for _, v := range acrValues {
		r := rank(v)
		if r < 0 {
			continue
		}
		known = true
		if rank(level) >= r {
			return v, true
		}
	}
	return level, !known
}

// Required is the weakest class a request asks for: the least of the known
// acrValues, raised to ACRMultiFactor when mfaRequired (the deployment's or
// the client's policy). Empty when nothing beyond a password is required.
func Required(acrValues []string, mfaRequired bool) string {
	least := -1
	for _, v := range acrValues {
		if r := rank(v); r >= 0 && (least < 0 || r < least) {
			least = r
		}
	}
	if mfaRequired && least < rank(ACRMultiFactor) {
		least = rank(ACRMultiFactor)
	}
	if least <= 0 {
		return ""
	}
	return ACRValues[least]
}

// Combine adds the methods of a factor just proved to those of the
// sign-in so far, without repeats, and marks the sign-in multi-factor when
// it now holds a password, an upstream's sign-in or a key and another
// factor. An upstream's sign-in counts as one factor (at least a password
// there), so a federated user who proves a one-time code here reaches mfa.
func Combine(amr []string, more ...string) []string {
	out := slices.Clone(amr)
	for _, m := range more {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	factors := 0
	for _, m := range []string{AMRPassword, AMRFederated, AMROTP} {
		if slices.Contains(out, m) {
			factors++
		}
	}
	if slices.Contains(out, AMRHardwareKey) || slices.Contains(out, AMRSoftwareKey) {
		factors++
	}
	if factors >= 2 && !slices.Contains(out, AMRMultiFactor) {
		out = append(out, AMRMultiFactor)
	}
	return out
}
