package guard

import (
	"errors"

	"github.com/portcullis/portcullis/dpop"
)

// Outcomes of a request the guard judged, as Outcome names them: a fixed
// set, safe as metric labels and in usage records.
const (
	// OutcomeAllowed: the request was let through.
	OutcomeAllowed = "allowed"
	// OutcomeNoToken: no credentials, or another scheme's (RFC 6750
	// section 3.1).
	OutcomeNoToken = "no_token"
	// OutcomeInvalidRequest: a malformed Authorization header.
	OutcomeInvalidRequest = "invalid_request"
	// OutcomeInvalidToken: any other refused token: bad signature,
	// issuer, audience, type or binding, malformed, inactive.
	OutcomeInvalidToken = "invalid_token"
	// OutcomeExpired: the token's exp has passed (ErrExpired).
	OutcomeExpired = "expired"
	// OutcomeRevoked: the issuer revoked the token (ErrRevoked).
	OutcomeRevoked = "revoked"
	// OutcomeInsufficientScope: the token lacks a scope the route
	// requires.
	OutcomeInsufficientScope = "insufficient_scope"
	// OutcomeInsufficientUserAuthentication: the user's sign-in is too
	// weak or too old for the route (RFC 9470 section 3).
	OutcomeInsufficientUserAuthentication = "insufficient_user_authentication"
	// OutcomeInvalidDPoPProof: a DPoP proof was missing or refused
	// (RFC 9449 section 7.1).
	OutcomeInvalidDPoPProof = "invalid_dpop_proof"
	// OutcomeUseDPoPNonce: the proof lacked the current nonce; a client
	// retries with it (RFC 9449 section 9).
	OutcomeUseDPoPNonce = "use_dpop_nonce"
	// OutcomeUnavailable: the token or proof could not be checked now
	// (503).
	OutcomeUnavailable = "unavailable"
)

// Outcomes are every value Outcome returns.
var Outcomes = [...]string{
	OutcomeAllowed, OutcomeNoToken, OutcomeInvalidRequest, OutcomeInvalidToken, OutcomeExpired, OutcomeRevoked,
	OutcomeInsufficientScope, OutcomeInsufficientUserAuthentication, OutcomeInvalidDPoPProof, OutcomeUseDPoPNonce, OutcomeUnavailable,
}

// Outcome names how the guard judged a request, from the error it
// reported to Options.Observe (nil: allowed): one of Outcomes, for
// metrics and usage records, whose values must come from a fixed set.
func Outcome(err error) string {
	if err == nil {
		return OutcomeAllowed
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		// reject answers these as malformed tokens.
		return OutcomeInvalidToken
	}
	switch e.Code {
	case "":
		return OutcomeNoToken
	case CodeInvalidRequest:
		return OutcomeInvalidRequest
	case CodeInsufficientScope:
		return OutcomeInsufficientScope
	case CodeInsufficientUserAuthentication:
		return OutcomeInsufficientUserAuthentication
	case CodeTemporarilyUnavailable:
		return OutcomeUnavailable
	case dpop.CodeInvalidProof:
		return OutcomeInvalidDPoPProof
	case dpop.CodeUseNonce:
		return OutcomeUseDPoPNonce
	}
	switch {
	case errors.Is(e, ErrExpired):
		return OutcomeExpired
	case errors.Is(e, ErrRevoked):
		return OutcomeRevoked
	}
	return OutcomeInvalidToken
}
