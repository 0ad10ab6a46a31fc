package authserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	// maxAssertionLifetime bounds an assertion's exp after its iat, which
	// bounds how long a captured assertion is worth replaying and how long
	// its jti must be remembered.
	maxAssertionLifetime = 5 * time.Minute
	// clockLeeway tolerates clock skew between client and server.
	clockLeeway = 30 * time.Second
)

// authenticateAssertion verifies a private_key_jwt client assertion (RFC 7523
// section 3, OpenID Connect Core section 9) and marks its jti used, so that
// a captured assertion cannot be replayed, on this instance or another.
func (s *Server) authenticateAssertion(r *http.Request, form url.Values) (store.Client, *Error) {
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
	if err := s.verifyAssertion(r, c, tok, &claims); err != nil {
		// A refused key is told: its size is public in the key set, and
		// the client's operators need to know to replace it.
		return store.Client{}, s.authFailed(r, id, err.Error(), !errors.Is(err, errAssertionSignature), false)
	}
	now := s.cfg.Now()
	if claims.Expiry == nil || claims.IssuedAt == nil || claims.ID == "" {
		return store.Client{}, s.authFailed(r, id, "client_assertion must carry exp, iat and jti", true, false)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: id, Subject: id, Time: now}, clockLeeway); err != nil {
		return store.Client{}, s.authFailed(r, id, "client_assertion is expired or not yet valid", true, false)
	}
	exp := claims.Expiry.Time()
	if exp.Sub(claims.IssuedAt.Time()) > maxAssertionLifetime {
		return store.Client{}, s.authFailed(r, id, "client_assertion exp is more than 5 minutes after its iat", true, false)
	}
	if !s.assertionAudience(c, claims.Audience) {
		return store.Client{}, s.authFailed(r, id, s.assertionAudienceRule(c), true, false)
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

// assertionAudience reports whether aud names this server and nothing
// else: the issuer identifier (draft-ietf-oauth-rfc7523bis section 4, which
// closes the confusion of an assertion meant for one server being accepted
// by another), or the token endpoint URL for a client that opted into it.
// A single-member array counts as the single value.
func (s *Server) assertionAudience(c store.Client, aud jwt.Audience) bool {
	if len(aud) != 1 {
		return false
	}
	return aud[0] == s.cfg.Issuer || (c.AssertionAudience == store.AssertionAudienceTokenEndpoint && aud[0] == s.endpoints.token)
}

// assertionAudienceRule describes the audience c's assertions must have.
func (s *Server) assertionAudienceRule(c store.Client) string {
	if c.AssertionAudience == store.AssertionAudienceTokenEndpoint {
		return "client_assertion aud must be the issuer identifier or the token endpoint URL, and nothing else"
	}
	return "client_assertion aud must be the issuer identifier, and nothing else"
}

// errAssertionSignature is the answer to an assertion no key of its client
// verifies.
var errAssertionSignature = errors.New("client_assertion signature does not verify with the client's keys")

// verifyAssertion checks the assertion's signature against the client's
// keys, fetching its jwks_uri again once if the kid is not known (the client
// may have rotated). A key CheckClientKey refuses is skipped; if the
// assertion names it, the error says why, for the client's operators.
func (s *Server) verifyAssertion(r *http.Request, c store.Client, tok *jwt.JSONWebToken, claims *jwt.Claims) error {
	kid := tok.Headers[0].KeyID
	for _, refresh := range []bool{false, true} {
		set, err := s.clientKeySet(r, c, refresh)
		if err != nil {
			s.log.WarnContext(r.Context(), "client keys unavailable", "client_id", c.ID, "err", err)
			return errAssertionSignature
		}
		candidates := set.Keys
		if kid != "" {
			candidates = set.Key(kid)
		}
		var refused error
		for _, k := range candidates {
			if err := CheckClientKey(k); err != nil {
				refused = fmt.Errorf("the client's key %q is refused: it %w", wire.Clip(k.KeyID), err)
				continue
			}
			if tok.Claims(k.Key, claims) == nil {
				return nil
			}
		}
		if kid != "" && refused != nil {
			s.log.WarnContext(r.Context(), "client key refused", "client_id", c.ID, "err", refused)
			return refused
		}
		if c.JWKSURI == "" || (kid != "" && len(candidates) > 0) {
			// A known key that does not verify is a bad signature, not a
			// rotation: refetching would let forged tokens drive traffic.
			return errAssertionSignature
		}
	}
	return errAssertionSignature
}

func (s *Server) clientKeySet(r *http.Request, c store.Client, refresh bool) (jose.JSONWebKeySet, error) {
	if c.JWKSURI != "" {
		return s.clientKeys.get(r.Context(), c.JWKSURI, refresh)
	}
	var set jose.JSONWebKeySet
	err := json.Unmarshal(c.JWKS, &set)
	return set, err
}
