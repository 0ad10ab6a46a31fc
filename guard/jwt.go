package guard

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
)

// isJWT reports whether token has the shape of a JWS Compact Serialization
// (RFC 7515 section 7.1); anything else is taken for an opaque token.
func isJWT(token string) bool { return strings.Count(token, ".") == 2 }

// verifyJWT validates a JWT access token as RFC 9068 section 4 requires and
// returns its caller with the key set generation it was verified under;
// an expired token's caller comes with ErrExpired (see verify).
// Only the key named by "kid" in the issuer's set is used: "jwk", "jku",
// "x5u" and "x5c" headers are never consulted (RFC 8725 section 3.10).
func (g *Guard) verifyJWT(ctx context.Context, token string, now time.Time) (*Caller, uint64, error) {
	// The algorithm list is a required argument of parsing, so "none",
	// HMAC and anything not configured fail here (RFC 8725 section 3.1).
	jws, err := jose.ParseSignedCompact(token, g.s.algorithms)
	if err != nil {
		return nil, 0, invalidToken(g.parseFailure(token), err)
	}
	h := jws.Signatures[0].Protected
	// crit (RFC 7515 section 4.1.11) and b64 (RFC 7797) would change how
	// the token must be read; no access token profile uses them.
	for _, name := range []jose.HeaderKey{"crit", "b64"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return nil, 0, invalidToken(ErrMalformedToken, errors.New(string(name)+" header"))
		}
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !slices.Contains(g.s.tokenTypes, normalizeType(typ)) {
		return nil, 0, invalidToken(ErrTokenType, nil)
	}
	if h.KeyID == "" {
		return nil, 0, invalidToken(ErrUnknownKey, errors.New("no kid"))
	}
	key, gen, err := g.keys.lookup(ctx, h.KeyID)
	if err != nil {
		return nil, 0, invalidToken(ErrUnknownKey, err)
	}
	if !key.fits(jose.SignatureAlgorithm(h.Algorithm)) {
		return nil, 0, invalidToken(ErrAlgorithm, errors.New("key does not fit alg"))
	}
	// A bad signature under a known kid is just a bad token: it never
	// triggers a key refetch, so forged tokens cannot drive traffic to the
	// issuer.
	payload, err := jws.Verify(key.key)
	if err != nil {
		return nil, 0, invalidToken(ErrSignature, err)
	}
	// RFC 7519 section 7.2 requires UTF-8. encoding/json would silently
	// replace bad bytes with U+FFFD, reading claims the signer never wrote.
	if !utf8.Valid(payload) {
		return nil, 0, invalidToken(ErrMalformedToken, errors.New("payload is not valid UTF-8"))
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, 0, invalidToken(ErrMalformedToken, err)
	}
	if err := c.check(g.s.Issuer, g.s.Audience, now, g.s.Leeway, true); err != nil {
		if errors.Is(err, ErrExpired) {
			// Signed by the issuer and for this audience (check reads
			// exp after iss and aud): the caller is told to
			// Options.Observe (see verify).
			return c.caller(payload), 0, invalidToken(err, nil)
		}
		return nil, 0, invalidToken(err, nil)
	}
	return c.caller(payload), gen, nil
}

// parseFailure tells a disallowed algorithm from a malformed token after
// go-jose refused to parse, so that clients and logs get the real reason.
// It runs only on the failure path.
func (g *Guard) parseFailure(token string) error {
	segment, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return ErrMalformedToken
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil || slices.Contains(g.s.algorithms, jose.SignatureAlgorithm(h.Alg)) {
		return ErrMalformedToken
	}
	return ErrAlgorithm
}
