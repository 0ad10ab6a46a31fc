package guard

import "errors"

// Errors returned by New when the options leave a security decision open.
// Each is wrapped with the offending detail; branch with errors.Is.
var (
	// ErrMissingIssuer means Options.Issuer is empty.
	ErrMissingIssuer = errors.New("guard: Options.Issuer is required")
	// ErrMissingAudience means Options.Audience is empty: without it a token
	// minted for another API would be accepted (RFC 9068 section 4).
	ErrMissingAudience = errors.New("guard: Options.Audience is required")
	// ErrNoAlgorithms means neither Options.Algorithms nor the issuer's
	// discovery document names an asymmetric signature algorithm.
	ErrNoAlgorithms = errors.New("guard: no asymmetric signature algorithm configured or advertised")
	// ErrUnsafeAlgorithm means Options.Algorithms names "none", an HMAC
	// algorithm or anything else that is not an asymmetric signature
	// algorithm (RFC 8725 section 3.1).
	ErrUnsafeAlgorithm = errors.New("guard: algorithm is not an allowed asymmetric signature algorithm")
	// ErrInvalidOption means an option has a value outside its domain.
	ErrInvalidOption = errors.New("guard: invalid option")
	// ErrMissingPublicURL means a DPoP mode other than DPoPOff is asked
	// for without DPoP.PublicURL, against which proofs' htu is checked
	// (RFC 9449 section 4.3).
	ErrMissingPublicURL = errors.New("guard: DPoP.PublicURL is required to accept DPoP")
)

// Errors about the issuer's endpoints. New returns them when the issuer
// cannot be set up; Verify returns ErrUnavailable when a token cannot be
// checked right now, which the middleware answers with 503.
var (
	// ErrDiscovery means the discovery document could not be fetched or is
	// unusable (RFC 8414 section 3, OpenID Connect Discovery 1.0 section 4).
	ErrDiscovery = errors.New("guard: issuer discovery failed")
	// ErrKeySet means the JWK Set could not be fetched or held no usable key
	// (RFC 7517 section 5).
	ErrKeySet = errors.New("guard: key set unavailable")
	// ErrRevocationList means the revocation list could not be fetched.
	ErrRevocationList = errors.New("guard: revocation list unavailable")
	// ErrUnavailable means a token could not be checked because the issuer
	// did not answer an introspection request (RFC 7662 section 2).
	ErrUnavailable = errors.New("guard: token cannot be checked now")
	// ErrNotReady means a guard built with Options.RetryStart has not yet
	// read its issuer's discovery document and keys; the middleware
	// answers 503 with Retry-After until it has.
	ErrNotReady = errors.New("guard: the issuer has not been reached yet")
)

// Errors about the request and its token. Verify and the middleware wrap
// them in an *Error that carries the RFC 6750 response.
var (
	// ErrNoToken means the request carries no bearer token (RFC 6750
	// section 3.1: the answer carries no error code).
	ErrNoToken = errors.New("guard: no bearer token")
	// ErrMalformedRequest means the Authorization header is not a valid
	// bearer credential (RFC 6750 section 2.1).
	ErrMalformedRequest = errors.New("guard: malformed Authorization header")
	// ErrMalformedToken means the token is neither a well-formed JWS
	// (RFC 7515 section 7.1) nor accepted by introspection.
	ErrMalformedToken = errors.New("guard: malformed token")
	// ErrAlgorithm means the token's "alg" is not allowed, or does not fit
	// the key it names (RFC 8725 section 3.1).
	ErrAlgorithm = errors.New("guard: signature algorithm not allowed")
	// ErrTokenType means the "typ" header is not an accepted type
	// (RFC 9068 section 4: "at+jwt").
	ErrTokenType = errors.New("guard: wrong token type")
	// ErrUnknownKey means the "kid" names no key in the issuer's key set,
	// even after the refetch that an unknown kid may trigger.
	ErrUnknownKey = errors.New("guard: unknown signing key")
	// ErrSignature means the signature does not verify.
	ErrSignature = errors.New("guard: invalid signature")
	// ErrIssuer means "iss" is not the configured issuer.
	ErrIssuer = errors.New("guard: wrong issuer")
	// ErrAudience means "aud" does not contain the configured audience.
	ErrAudience = errors.New("guard: wrong audience")
	// ErrExpired means "exp" has passed (RFC 7519 section 4.1.4).
	ErrExpired = errors.New("guard: token expired")
	// ErrNotYetValid means "nbf" or "iat" lies in the future beyond the
	// leeway (RFC 7519 sections 4.1.5 and 4.1.6).
	ErrNotYetValid = errors.New("guard: token not yet valid")
	// ErrMissingClaim means a claim RFC 9068 section 2.2 requires is absent.
	ErrMissingClaim = errors.New("guard: required claim missing")
	// ErrRevoked means the token's "jti" is on the issuer's revocation list.
	ErrRevoked = errors.New("guard: token revoked")
	// ErrInactive means introspection answered "active": false
	// (RFC 7662 section 2.2).
	ErrInactive = errors.New("guard: token inactive")
	// ErrInsufficientScope means the token lacks a scope the route requires
	// (RFC 6750 section 3.1).
	ErrInsufficientScope = errors.New("guard: insufficient scope")
	// ErrInsufficientUserAuthentication means the user's sign-in is not
	// one the route accepts: its acr is not among those required, or its
	// auth_time is older than the route's maximum age, or absent (RFC 9470
	// section 3).
	ErrInsufficientUserAuthentication = errors.New("guard: insufficient user authentication")
)

// Errors about proof-of-possession (RFC 9449). The middleware answers them
// with 401 and a DPoP challenge, except ErrTokenBound under the Bearer
// scheme, whose challenge is the Bearer one.
var (
	// ErrTokenBound means a token bound to a key (cnf.jkt) came without a
	// proof: as a bearer token, through Verify, or to a route that does
	// not accept DPoP (RFC 9449 section 7.2).
	ErrTokenBound = errors.New("guard: the token is bound to a key and needs the DPoP scheme with a proof")
	// ErrTokenNotBound means a token bound to no key came under the DPoP
	// scheme: a proof cannot show possession of a token nobody bound
	// (RFC 9449 section 7.1).
	ErrTokenNotBound = errors.New("guard: the token is not bound to a key")
	// ErrDPoPRequired means a bearer token came to a route that accepts
	// DPoP-bound tokens only.
	ErrDPoPRequired = errors.New("guard: this API accepts DPoP-bound tokens only")
	// ErrUnsupportedBinding means the token's cnf claim binds it other
	// than by a JWK thumbprint (cnf.jkt), for example to a TLS client
	// certificate (RFC 8705): the guard cannot check that binding, and
	// ignoring it would accept a stolen token.
	ErrUnsupportedBinding = errors.New("guard: the token is bound in a way the guard cannot check")
	// ErrNoProof means a DPoP request carries no DPoP header (RFC 9449
	// section 7.1: invalid_dpop_proof).
	ErrNoProof = errors.New("guard: no DPoP proof")
	// ErrProof means the DPoP proof was refused (RFC 9449 section 4.3);
	// it wraps the *dpop.Error that says why, whose code
	// (invalid_dpop_proof or use_dpop_nonce) the answer carries.
	ErrProof = errors.New("guard: invalid DPoP proof")
)
