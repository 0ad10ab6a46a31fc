package authserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
)

// assertionType is the client_assertion_type of RFC 7523 section 2.2.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionAlgorithms are the JWS algorithms accepted for private_key_jwt.
// Only asymmetric ones: client_secret_jwt is not offered.
var AssertionAlgorithms = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

const (
	// maxAssertionLifetime bounds how far in the future an assertion's exp
	// may be, which bounds how long its jti must be remembered.
	maxAssertionLifetime = time.Hour
	// clockLeeway tolerates clock skew between client and server.
	clockLeeway = 30 * time.Second
)

// authenticateAssertion verifies a private_key_jwt client assertion (RFC 7523
// section 3, OpenID Connect Core section 9) and marks its jti used, so that
// a captured assertion cannot be replayed, on this instance or another.
func (s *Server) authenticateAssertion(r *http.Request, form url.Values, endpoint string) (store.Client, *Error) {
	if form.Get("client_assertion_type") != assertionType {
		return store.Client{}, errInvalidRequest("client_assertion_type must be " + assertionType)
	}
	tok, err := parseJWT(form.Get("client_assertion"), AssertionAlgorithms)
	if err != nil {
		return store.Client{}, s.authFailed(r, "", "client_assertion is not a JWT signed with an accepted algorithm", true, false)
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Subject == "" || unverified.Issuer != unverified.Subject {
		return store.Client{}, s.authFailed(r, "", "client_assertion must have iss and sub both equal to the client_id", true, false)
	}
	id := unverified.Subject
	if formID := form.Get("client_id"); formID != "" && formID != id {
		return store.Client{}, errInvalidRequest("client_id does not match the client_assertion")
	}
	c, err := s.client(r.Context(), id)
	if errors.Is(err, errUnknownClient) {
		return store.Client{}, s.authFailed(r, id, "unknown client", false, false)
	}
	if err != nil {
		return store.Client{}, s.internal(r, err)
	}
	if c.AuthMethod != store.AuthPrivateKey {
		return store.Client{}, s.authFailed(r, id, "the client is registered for "+c.AuthMethod+", not "+store.AuthPrivateKey, true, false)
	}
	var claims jwt.Claims
	if !s.verifyAssertion(r, c, tok, &claims) {
		return store.Client{}, s.authFailed(r, id, "client_assertion signature does not verify with the client's keys", false, false)
	}
	now := s.cfg.Now()
	if claims.Expiry == nil || claims.ID == "" {
		return store.Client{}, s.authFailed(r, id, "client_assertion must carry exp and jti", true, false)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: id, Subject: id, Time: now}, clockLeeway); err != nil {
		return store.Client{}, s.authFailed(r, id, "client_assertion is expired or not yet valid", true, false)
	}
	exp := claims.Expiry.Time()
	if exp.Sub(now) > maxAssertionLifetime {
		return store.Client{}, s.authFailed(r, id, "client_assertion expires more than an hour from now", true, false)
	}
	if !slices.ContainsFunc([]string{s.cfg.Issuer, s.endpoints.token, endpoint}, claims.Audience.Contains) {
		return store.Client{}, s.authFailed(r, id, "client_assertion aud must be the issuer or the endpoint URL", true, false)
	}
	err = s.store.UseOnce(r.Context(), "client_assertion:"+wire.Digest(id+"\x00"+claims.ID), exp.Add(clockLeeway))
	if errors.Is(err, store.ErrReplay) {
		return store.Client{}, s.authFailed(r, id, "client_assertion was already used", true, false)
	}
	if err != nil {
		return store.Client{}, s.internal(r, err)
	}
	return c, nil
}

// verifyAssertion checks the assertion's signature against the client's
// keys, fetching its jwks_uri again once if the kid is not known (the client
// may have rotated).
func (s *Server) verifyAssertion(r *http.Request, c store.Client, tok *jwt.JSONWebToken, claims *jwt.Claims) bool {
	kid := tok.Headers[0].KeyID
	for _, refresh := range []bool{false, true} {
		set, err := s.clientKeySet(r, c, refresh)
		if err != nil {
			s.log.WarnContext(r.Context(), "client keys unavailable", "client_id", c.ID, "err", err)
			return false
		}
		candidates := set.Keys
		if kid != "" {
			candidates = set.Key(kid)
		}
		for _, k := range candidates {
			if k.IsPublic() && tok.Claims(k.Key, claims) == nil {
				return true
			}
		}
		if c.JWKSURI == "" || (kid != "" && len(candidates) > 0) {
			// A known key that does not verify is a bad signature, not a
			// rotation: refetching would let forged tokens drive traffic.
			return false
		}
	}
	return false
}

func (s *Server) clientKeySet(r *http.Request, c store.Client, refresh bool) (jose.JSONWebKeySet, error) {
	if c.JWKSURI != "" {
		return s.clientKeys.get(r.Context(), c.JWKSURI, refresh)
	}
	var set jose.JSONWebKeySet
	err := json.Unmarshal(c.JWKS, &set)
	return set, err
}
