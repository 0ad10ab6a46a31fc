package authserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// accessTokenType is the JOSE "typ" of JWT access tokens (RFC 9068 section
// 2.1); it keeps them from being mistaken for ID tokens and vice versa.
const accessTokenType = "at+jwt"

// AccessTokenClaims are the claims of a JWT access token (RFC 9068 section
// 2.2). Audience is a single string when there is one audience.
type AccessTokenClaims struct {
	Issuer   string           `json:"iss"`
	Subject  string           `json:"sub"`
	Audience jwt.Audience     `json:"aud"`
	ClientID string           `json:"client_id"`
	Scope    string           `json:"scope,omitempty"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Expiry   *jwt.NumericDate `json:"exp"`
	ID       string           `json:"jti"`
	// Confirmation binds the token to a DPoP key (RFC 9449 section 6.1);
	// nil for a bearer token.
	Confirmation *Confirmation `json:"cnf,omitempty"`
	// AuthTime, ACR and AMR say how the user signed in (RFC 9068 section
	// 2.2.1), for APIs that require a strong or recent sign-in (RFC 9470).
	// A client credentials token has no user and none of them.
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	ACR      string           `json:"acr,omitempty"`
	AMR      []string         `json:"amr,omitempty"`
}

// newJTI returns a unique token identifier: 128 random bits.
func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// accessToken is a signed access token with what the issuer keeps of it.
type accessToken struct {
	raw string
	jti string
	exp time.Time
	aud []string
}

// mintAccessToken signs an access token for sub. Nothing is written to the
// store here: a JWT carries its own state. Client credentials tokens are
// recorded only if revoked; tokens of user grants are recorded with their
// grant so the grant's revocation reaches them. A token minted with a
// DPoP key's thumbprint jkt is bound to that key. It lives ttl
// (lifetimes.go). authn is the user's sign-in, nil for a client's own
// token.
func (s *Server) mintAccessToken(sub, clientID string, scopes, audience []string, jkt string, ttl time.Duration, authn *authentication) (accessToken, error) {
	now := s.cfg.Now()
	claims := AccessTokenClaims{
		Issuer: s.cfg.Issuer, Subject: sub, Audience: audience, ClientID: clientID,
		Scope:    strings.Join(scopes, " "),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
		ID: newJTI(), Confirmation: confirmation(jkt),
	}
	if authn != nil {
		claims.ACR, claims.AMR = authn.acr, authn.amr
		if !authn.time.IsZero() {
			claims.AuthTime = jwt.NewNumericDate(authn.time)
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return accessToken{}, fmt.Errorf("mint access token: %w", err)
	}
	tok, err := s.keys.Sign(s.cfg.AccessTokenAlg, accessTokenType, payload)
	if err != nil {
		return accessToken{}, fmt.Errorf("mint access token: %w", err)
	}
	return accessToken{raw: tok, jti: claims.ID, exp: claims.Expiry.Time(), aud: audience}, nil
}

// errNotOurToken means a token was not issued by this server, is malformed,
// or no longer verifies; callers treat all these alike.
var errNotOurToken = errors.New("not a valid access token of this issuer")

// parseAccessToken verifies a JWT access token this server issued: its
// signature against the published keys, its typ and its issuer. It does not
// check expiry or revocation; callers decide what those mean.
func (s *Server) parseAccessToken(raw string) (AccessTokenClaims, error) {
	c, _, err := s.verifyAccessToken(raw)
	return c, err
}

// verifyAccessToken is parseAccessToken that also returns the ID of the
// key that signed the token, for callers that remember the verdict only
// while the key is published.
func (s *Server) verifyAccessToken(raw string) (AccessTokenClaims, string, error) {
	var algs []jose.SignatureAlgorithm
	for _, a := range s.keys.Algorithms() {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	tok, err := parseJWT(raw, algs)
	if err != nil {
		return AccessTokenClaims{}, "", errNotOurToken
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders["typ"].(string); !strings.EqualFold(typ, accessTokenType) && !strings.EqualFold(typ, "application/"+accessTokenType) {
		return AccessTokenClaims{}, "", errNotOurToken
	}
	key, ok := s.keys.PublicKey(h.KeyID)
	if !ok || key.Algorithm != h.Algorithm {
		return AccessTokenClaims{}, "", errNotOurToken
	}
	var c AccessTokenClaims
	if err := tok.Claims(key.Key, &c); err != nil || c.Issuer != s.cfg.Issuer || c.ID == "" || c.Expiry == nil {
		return AccessTokenClaims{}, "", errNotOurToken
	}
	return c, h.KeyID, nil
}
