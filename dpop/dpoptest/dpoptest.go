// Package dpoptest makes DPoP proofs for tests, bad ones included: the one
// table of proof defects (RFC 9449 section 4.3) that the authorization
// server, the guard and the gateway are each tested against.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/dpop"
)

// Request is what a good proof is made for.
type Request struct {
	Method, URL string
	// AccessToken, when set, is hashed into ath.
	AccessToken string
	// Nonce, when set, is carried in nonce.
	Nonce string
	// Now is the iat of good proofs. Zero means time.Now.
	Now time.Time
}

// Signer makes proofs with a fixed key.
type Signer struct {
	Key  *ecdsa.PrivateKey
	JKT  string
	tb   testing.TB
	base map[string]any
}

// NewSigner returns a Signer with a new P-256 key.
func NewSigner(tb testing.TB) *Signer {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	jkt, err := dpop.Thumbprint(&jose.JSONWebKey{Key: k.Public()})
	if err != nil {
		tb.Fatal(err)
	}
	return &Signer{Key: k, JKT: jkt, tb: tb}
}

// Claims returns the claims of a good proof for req.
func Claims(req Request) map[string]any {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := map[string]any{"jti": rand.Text(), "htm": req.Method, "htu": req.URL, "iat": now.Unix()}
	if req.AccessToken != "" {
		c["ath"] = dpop.TokenHash(req.AccessToken)
	}
	if req.Nonce != "" {
		c["nonce"] = req.Nonce
	}
	return c
}

// Proof returns a good proof for req.
func (s *Signer) Proof(req Request) string {
	return s.Sign(jose.ES256, dpop.ProofType, Claims(req), nil)
}

// Sign signs claims under alg with the Signer's key, with typ (empty:
// none) and the public key as jwk; extra header members replace or add
// to those.
func (s *Signer) Sign(alg jose.SignatureAlgorithm, typ string, claims map[string]any, extra map[jose.HeaderKey]any) string {
	s.tb.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"jwk": jose.JSONWebKey{Key: s.Key.Public()}}}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	maps.Copy(opts.ExtraHeaders, extra)
	var key any = s.Key
	if alg == jose.HS256 {
		key = []byte("a shared secret of thirty-two bytes!")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		s.tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		s.tb.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		s.tb.Fatal(err)
	}
	return out
}

// Defect is a request a verifier must refuse.
type Defect struct {
	Name string
	// Header is the request's DPoP header values.
	Header []string
	// Code is the error the refusal must carry.
	Code string
}

// Defects returns the proofs for req that a verifier expecting req (and,
// when jkt is set, a token bound to s's key) must refuse. Replay is not
// among them: it needs the good proof sent twice.
func (s *Signer) Defects(req Request) []Defect {
	s.tb.Helper()
	good := func(change func(map[string]any)) string {
		c := Claims(req)
		change(c)
		return s.ProofWith(c)
	}
	u, _ := url.Parse(req.URL)
	with := func(f func(*url.URL)) string {
		v := *u
		f(&v)
		return v.String()
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	other := NewSigner(s.tb)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		s.tb.Fatal(err)
	}
	priv := jose.JSONWebKey{Key: s.Key}
	bad := dpop.CodeInvalidProof
	d := []Defect{
		{"two DPoP headers", []string{s.Proof(req), s.Proof(req)}, bad},
		{"not a JWT", []string{"not-a-jwt"}, bad},
		{"typ jwt", []string{s.Sign(jose.ES256, "JWT", Claims(req), nil)}, bad},
		{"no typ", []string{s.Sign(jose.ES256, "", Claims(req), nil)}, bad},
		{"alg none", []string{unsigned(Claims(req))}, bad},
		{"alg HS256", []string{s.Sign(jose.HS256, dpop.ProofType, Claims(req), map[jose.HeaderKey]any{
			"jwk": map[string]string{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString([]byte("a shared secret of thirty-two bytes!"))}})}, bad},
		{"private key in jwk", []string{s.Sign(jose.ES256, dpop.ProofType, Claims(req), map[jose.HeaderKey]any{"jwk": priv})}, bad},
		{"no jwk", []string{s.Sign(jose.ES256, dpop.ProofType, Claims(req), map[jose.HeaderKey]any{"jwk": nil})}, bad},
		{"jwk of another key", []string{s.Sign(jose.ES256, dpop.ProofType, Claims(req), map[jose.HeaderKey]any{"jwk": jose.JSONWebKey{Key: other.Key.Public()}})}, bad},
		{"RSA key under 2048 bits", []string{signWith(s.tb, rsaKey, jose.RS256, Claims(req))}, bad},
		{"bad signature", []string{tamper(s.Proof(req))}, bad},
		{"wrong htm", []string{good(func(c map[string]any) { c["htm"] = "PUT" })}, bad},
		{"htm in lower case", []string{good(func(c map[string]any) { c["htm"] = lower(req.Method) })}, bad},
		{"wrong htu scheme", []string{good(func(c map[string]any) { c["htu"] = with(func(v *url.URL) { v.Scheme = flip(v.Scheme) }) })}, bad},
		{"wrong htu host", []string{good(func(c map[string]any) { c["htu"] = with(func(v *url.URL) { v.Host = "elsewhere.example" + portOf(v) }) })}, bad},
		{"wrong htu port", []string{good(func(c map[string]any) { c["htu"] = with(func(v *url.URL) { v.Host = v.Hostname() + ":1" }) })}, bad},
		{"wrong htu path", []string{good(func(c map[string]any) { c["htu"] = with(func(v *url.URL) { v.Path += "x" }) })}, bad},
		{"htu with query", []string{good(func(c map[string]any) { c["htu"] = with(func(v *url.URL) { v.RawQuery = "a=b" }) })}, bad},
		{"htu with fragment", []string{good(func(c map[string]any) { c["htu"] = with(func(v *url.URL) { v.Fragment = "f" }) })}, bad},
		{"no htu", []string{good(func(c map[string]any) { delete(c, "htu") })}, bad},
		{"no jti", []string{good(func(c map[string]any) { delete(c, "jti") })}, bad},
		{"no iat", []string{good(func(c map[string]any) { delete(c, "iat") })}, bad},
		{"iat as a string", []string{good(func(c map[string]any) { c["iat"] = "now" })}, bad},
		{"iat too old", []string{good(func(c map[string]any) { c["iat"] = now.Add(-10 * time.Minute).Unix() })}, bad},
		{"iat in the future", []string{good(func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() })}, bad},
	}
	if req.AccessToken != "" {
		d = append(d,
			Defect{"no ath", []string{good(func(c map[string]any) { delete(c, "ath") })}, bad},
			Defect{"wrong ath", []string{good(func(c map[string]any) { c["ath"] = dpop.TokenHash(req.AccessToken + "x") })}, bad},
			Defect{"key not the token's cnf.jkt", []string{other.Proof(req)}, bad})
	}
	if req.Nonce != "" {
		d = append(d,
			Defect{"no nonce", []string{good(func(c map[string]any) { delete(c, "nonce") })}, dpop.CodeUseNonce},
			Defect{"stale nonce", []string{good(func(c map[string]any) { c["nonce"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })}, dpop.CodeUseNonce})
	}
	return d
}

// ProofWith signs claims as a good proof would be signed.
func (s *Signer) ProofWith(claims map[string]any) string {
	return s.Sign(jose.ES256, dpop.ProofType, claims, nil)
}

func signWith(tb testing.TB, key crypto.Signer, alg jose.SignatureAlgorithm, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"jwk": jose.JSONWebKey{Key: key.Public()}}}).WithType(dpop.ProofType))
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// unsigned returns an alg "none" JWS of claims.
func unsigned(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": dpop.ProofType})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// tamper flips a bit in the signature of a compact JWS.
func tamper(jws string) string {
	b := []byte(jws)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func flip(scheme string) string {
	if scheme == "https" {
		return "http"
	}
	return "https"
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return ":" + p
	}
	return ""
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
