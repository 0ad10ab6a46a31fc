package authserver

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/store"
)

// idTokenType is the JOSE "typ" of ID tokens, distinct from access tokens'.
const idTokenType = "JWT"

// idTokenInput is what an ID token says about an authentication.
type idTokenInput struct {
	client      store.Client
	user        store.User
	scopes      []string
	nonce       string
	sid         string
	authn       authentication
	accessToken string
}

// mintIDToken signs an ID token (OpenID Connect Core section 2) with the
// client's registered algorithm, RS256 unless it chose another (section
// 15.1 makes RS256 the one every client can rely on).
func (s *Server) mintIDToken(in idTokenInput) (string, error) {
	alg := in.client.IDTokenAlg
	if alg == "" {
		alg = keys.RS256
	}
	now := s.cfg.Now()
	claims := userClaims(in.user, in.scopes)
	maps.Copy(claims, map[string]any{
		"iss": s.cfg.Issuer, "aud": in.client.ID, "azp": in.client.ID,
		"iat": now.Unix(), "exp": now.Add(s.idTokenTTL(in.client)).Unix(),
		"auth_time": in.authn.time.Unix(), "amr": in.authn.amr, "acr": in.authn.acr,
		"at_hash": leftHalfHash(alg, in.accessToken),
	})
	if in.nonce != "" {
		claims["nonce"] = in.nonce
	}
	// sid names the sign-on session (OpenID Connect Front-Channel Logout
	// 1.0 section 3): a relying party matches logouts with it. Sessions
	// from before sids existed have none.
	if in.sid != "" {
		claims["sid"] = in.sid
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("mint ID token: %w", err)
	}
	tok, err := s.keys.Sign(alg, idTokenType, payload)
	if err != nil {
		return "", fmt.Errorf("mint ID token: %w", err)
	}
	return tok, nil
}

// leftHalfHash is the at_hash of OpenID Connect Core section 3.1.3.6: the
// left half of the hash of the access token, with the hash of the ID
// token's algorithm (SHA-512 for EdDSA with Ed25519).
func leftHalfHash(alg, token string) string {
	var sum []byte
	if alg == keys.EdDSA {
		h := sha512.Sum512([]byte(token))
		sum = h[:]
	} else {
		h := sha256.Sum256([]byte(token))
		sum = h[:]
	}
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// parseIDTokenHint verifies an ID token this server issued. Its expiry does
// not matter: RP-initiated logout accepts expired hints.
func (s *Server) parseIDTokenHint(raw string) (sub string, aud []string, ok bool) {
	var algs []jose.SignatureAlgorithm
	for _, a := range s.keys.Algorithms() {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	tok, err := parseJWT(raw, algs)
	if err != nil {
		return "", nil, false
	}
	h := tok.Headers[0]
	key, found := s.keys.PublicKey(h.KeyID)
	if typ, _ := h.ExtraHeaders["typ"].(string); !found || typ != idTokenType || key.Algorithm != h.Algorithm {
		return "", nil, false
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil || c.Issuer != s.cfg.Issuer || c.Subject == "" {
		return "", nil, false
	}
	return c.Subject, c.Audience, true
}
