// Package guardtest runs a fake authorization server for tests of APIs
// protected by package guard, and of the guard itself. It publishes
// discovery metadata, a JWK Set, a revocation list and an introspection
// endpoint the way Portcullis does, mints RFC 9068 access tokens, and can
// be made to fail so that tests can check what an API does when its issuer
// misbehaves.
package guardtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Audience is the resource identifier of the API the issuer mints tokens
// for.
const Audience = "https://api.example.com"

// Client credentials the introspection endpoint accepts
// (client_secret_basic).
const (
	ClientID     = "resource-server"
	ClientSecret = "resource-server-secret"
)

// Mode is how the fake issuer answers.
type Mode int

// The modes of an Issuer.
const (
	// Up answers normally.
	Up Mode = iota
	// Down answers every request with 503, as an issuer behind a load
	// balancer with no healthy backend would.
	Down
	// Garbage answers every request with 200 and a body that is not JSON.
	Garbage
)

// Issuer is a fake authorization server on a loopback httptest server.
type Issuer struct {
	// URL is the issuer identifier, which is also its base URL.
	URL string

	srv *httptest.Server

	mu       sync.Mutex
	keys     []signingKey // all published; the last one signs
	revoked  []revocation // in order of revocation
	inactive map[string]bool
	opaque   map[string]map[string]any
	mode     Mode
	requests map[string]int
	wrappers map[string]func(http.Handler) http.Handler
}

type signingKey struct {
	kid string
	key *ecdsa.PrivateKey
}

type revocation struct {
	JTI string `json:"jti"`
	Exp int64  `json:"exp"`
}

// NewIssuer starts an issuer with one ES256 key on a loopback address.
// Like httptest.NewServer it panics if it cannot, and the caller must Close
// it.
func NewIssuer() *Issuer {
	i := &Issuer{
		inactive: make(map[string]bool),
		opaque:   make(map[string]map[string]any),
		requests: make(map[string]int),
		wrappers: make(map[string]func(http.Handler) http.Handler),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", i.discovery)
	mux.HandleFunc("GET /jwks", i.jwks)
	mux.HandleFunc("GET /revocations", i.revocations)
	mux.HandleFunc("POST /introspect", i.introspect)
	i.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.mu.Lock()
		i.requests[r.URL.Path]++
		mode, wrap := i.mode, i.wrappers[r.URL.Path]
		i.mu.Unlock()
		switch mode {
		case Down:
			http.Error(w, "issuer down", http.StatusServiceUnavailable)
			return
		case Garbage:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("<html>garbage"))
			return
		}
		var h http.Handler = mux
		if wrap != nil {
			h = wrap(mux)
		}
		h.ServeHTTP(w, r)
	}))
	i.URL = i.srv.URL
	i.RotateKeys()
	return i
}

// Close shuts the issuer down.
func (i *Issuer) Close() { i.srv.Close() }

// SetMode switches how the issuer answers from now on.
func (i *Issuer) SetMode(m Mode) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.mode = m
}

// Wrap puts middleware in front of the endpoint at path ("/jwks",
// "/introspect", "/revocations", ...), to delay, count or fail its
// requests; nil removes it.
func (i *Issuer) Wrap(path string, mw func(http.Handler) http.Handler) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.wrappers[path] = mw
}

// Requests returns how many requests reached path, whatever the mode.
func (i *Issuer) Requests(path string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.requests[path]
}

// RotateKeys publishes a new ES256 key and signs with it from now on; the
// old keys stay published.
func (i *Issuer) RotateKeys() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, signingKey{kid: "k" + strconv.Itoa(len(i.keys)+1), key: key})
}

// RetireKeys unpublishes every key but the signing one.
func (i *Issuer) RetireKeys() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = i.keys[len(i.keys)-1:]
}

// SigningKey returns the current signing key and its kid, for tests that
// forge tokens by hand.
func (i *Issuer) SigningKey() (string, *ecdsa.PrivateKey) {
	i.mu.Lock()
	defer i.mu.Unlock()
	k := i.keys[len(i.keys)-1]
	return k.kid, k.key
}

// Claims returns the claims of a fresh access token for scope: subject
// "user-1", client "client-1", audience Audience, valid for an hour.
func (i *Issuer) Claims(scope string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":       i.URL,
		"sub":       "user-1",
		"aud":       Audience,
		"client_id": "client-1",
		"scope":     scope,
		"iat":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
		"jti":       randomID(),
	}
}

// Token mints an RFC 9068 access token for scope.
func (i *Issuer) Token(scope string) string {
	return i.Sign(nil, i.Claims(scope))
}

// Sign signs claims with the current key as an ES256 JWS. The header is
// {"alg":"ES256","typ":"at+jwt","kid":<current>} with header's members
// added or replaced, and removed where header maps them to nil.
func (i *Issuer) Sign(header, claims map[string]any) string {
	kid, key := i.SigningKey()
	h := map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid}
	for k, v := range header {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	return Forge(h, claims, func(input []byte) []byte { return SignES256(key, input) })
}

// Forge encodes header and claims as a JWS Compact Serialization (RFC 7515
// section 7.1) with the signature sign returns for the signing input, so
// tests can build tokens no honest issuer would: alg none, HMAC keyed with
// a public key, a signature by another key. It panics if header or claims
// cannot be marshalled.
func Forge(header, claims map[string]any, sign func(input []byte) []byte) string {
	h, err := json.Marshal(header)
	if err != nil {
		panic(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
}

// SignES256 returns the JWS signature of input with key (RFC 7518
// section 3.4: R and S, 32 bytes each).
func SignES256(key *ecdsa.PrivateKey, input []byte) []byte {
	digest := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig
}

// BoundToken mints an access token for scope bound to the key whose
// RFC 7638 thumbprint is jkt, as cnf.jkt (RFC 9449 section 6.1): an API
// accepts it only under the DPoP scheme with a proof of that key.
func (i *Issuer) BoundToken(scope, jkt string) string {
	return i.Sign(nil, Bind(i.Claims(scope), jkt))
}

// Bind adds cnf.jkt to claims and returns them.
func Bind(claims map[string]any, jkt string) map[string]any {
	claims["cnf"] = map[string]any{"jkt": jkt}
	return claims
}

// SignedIn adds the claims that say how the user signed in (RFC 9068
// section 2.2.1: acr, amr, auth_time) to claims and returns them, for
// tests of routes that require a step-up (RFC 9470). A zero authTime adds
// no auth_time.
func SignedIn(claims map[string]any, acr string, amr []string, authTime time.Time) map[string]any {
	claims["acr"], claims["amr"] = acr, amr
	if !authTime.IsZero() {
		claims["auth_time"] = authTime.Unix()
	}
	return claims
}

// OpaqueToken registers a random opaque token for scope that introspection
// reports active for an hour.
func (i *Issuer) OpaqueToken(scope string) string {
	return i.opaqueToken(i.Claims(scope))
}

// OpaqueTokenWith registers a random opaque token whose introspection
// answers claims, with active true.
func (i *Issuer) OpaqueTokenWith(claims map[string]any) string {
	return i.opaqueToken(claims)
}

// BoundOpaqueToken is OpaqueToken bound to the key of thumbprint jkt:
// introspection answers token_type DPoP and cnf.jkt (RFC 9449
// section 6.2).
func (i *Issuer) BoundOpaqueToken(scope, jkt string) string {
	return i.opaqueToken(Bind(i.Claims(scope), jkt))
}

func (i *Issuer) opaqueToken(claims map[string]any) string {
	token := randomID()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.opaque[token] = claims
	return token
}

// Revoke revokes token: introspection reports it inactive from now on and,
// for a JWT, its jti is added to the revocation list.
func (i *Issuer) Revoke(token string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.inactive[token] = true
	if claims, ok := decodeClaims(token); ok {
		jti, _ := claims["jti"].(string)
		exp, _ := claims["exp"].(float64)
		i.revoked = append(i.revoked, revocation{JTI: jti, Exp: int64(exp)})
	}
}

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                i.URL,
		"jwks_uri":                              i.URL + "/jwks",
		"token_endpoint":                        i.URL + "/token",
		"introspection_endpoint":                i.URL + "/introspect",
		"revocation_endpoint":                   i.URL + "/revoke",
		"id_token_signing_alg_values_supported": []string{"ES256", "HS256"},
		"portcullis_revocation_list_endpoint":   i.URL + "/revocations",
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	var set jose.JSONWebKeySet
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"})
	}
	i.mu.Unlock()
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, set)
}

func (i *Issuer) revocations(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	now := time.Now().Unix()
	i.mu.Lock()
	entries := []revocation{}
	for _, e := range i.revoked[min(max(after, 0), len(i.revoked)):] {
		if e.Exp > now {
			entries = append(entries, e)
		}
	}
	cursor := len(i.revoked)
	i.mu.Unlock()
	writeJSON(w, map[string]any{"cursor": cursor, "revoked": entries})
}

func (i *Issuer) introspect(w http.ResponseWriter, r *http.Request) {
	if id, secret, ok := r.BasicAuth(); !ok || id != ClientID || secret != ClientSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspect"`)
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	token := r.PostFormValue("token")
	i.mu.Lock()
	claims, ok := i.opaque[token]
	if !ok {
		claims, ok = decodeClaims(token)
	}
	active := ok && !i.inactive[token]
	i.mu.Unlock()
	if !active {
		writeJSON(w, map[string]any{"active": false})
		return
	}
	answer := map[string]any{"active": true, "token_type": "Bearer"}
	if claims["cnf"] != nil {
		answer["token_type"] = "DPoP"
	}
	for k, v := range claims {
		answer[k] = v
	}
	writeJSON(w, answer)
}

// decodeClaims reads a JWT's claims without verifying them. The fake
// trusts any JWT-shaped token because the guard never introspects JWTs;
// a real issuer must not.
func decodeClaims(token string) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	return claims, json.Unmarshal(raw, &claims) == nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
