package agent_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/dpop"
)

// testOP is a minimal OpenID provider, unlike Portcullis wherever the agent
// must not depend on Portcullis: it publishes no PAR endpoint, sends no iss
// in authorization responses, accepts client_secret_post only, has no
// end-session endpoint, and issues opaque access tokens. Its revocation
// endpoint answers 200 with no body, as RFC 7009 allows. It approves every
// authorization request at once, without a login page.
type testOP struct {
	*httptest.Server
	clientID, secret, redirectURI string
	key                           *ecdsa.PrivateKey

	// refreshCalls counts refresh grant requests.
	refreshCalls atomic.Int32
	// down makes every request fail without an answer, as if the
	// provider were unreachable.
	down atomic.Bool

	mu      sync.Mutex
	codes   map[string]opCode
	access  map[string]bool
	refresh map[string]bool // refresh token → used
	// Tests change these with set. gate, when set, holds refresh grant
	// requests until closed; idClaims changes an ID token's claims
	// before signing; signer signs instead of the published key.
	gate     chan struct{}
	idClaims func(map[string]any)
	signer   *ecdsa.PrivateKey
	// revokeStatus, when not 0, is the revocation endpoint's answer
	// instead of revoking.
	revokeStatus int
	// dpop, when set (useDPoP), makes the provider take DPoP proofs
	// (RFC 9449) at its token and userinfo endpoints; see testOP.proof.
	dpop *dpop.Verifier
	// bindRefresh binds refresh tokens to the proof's key, as a
	// provider must for a public client; bearerAnswer answers token_type
	// Bearer to a request with a proof.
	bindRefresh, bearerAnswer bool
	// proofs holds the thumbprint of each token request's proof, "" for
	// none; bound, the key each token issued with a proof is bound to.
	proofs []string
	bound  map[string]string
	// nonceAsked counts use_dpop_nonce answers.
	nonceAsked int
}

// set changes the provider's behaviour while it may be serving.
func (op *testOP) set(f func(op *testOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

// opCode is an issued authorization code.
type opCode struct{ challenge, nonce string }

const opSubject = "alice"

func newTestOP(t testing.TB, redirectURI string) *testOP {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	op := &testOP{
		clientID: "agent", secret: "agent-secret", redirectURI: redirectURI, key: key,
		codes: map[string]opCode{}, access: map[string]bool{}, refresh: map[string]bool{}, bound: map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /userinfo", op.userinfo)
	mux.HandleFunc("POST /revoke", op.revoke)
	op.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op.down.Load() {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(op.Close)
	return op
}

// config is an agent for this provider; the app lives on the redirect
// URI's origin.
func (op *testOP) config() agent.Config {
	return agent.Config{
		Issuer: op.URL, ClientID: op.clientID, ClientSecret: op.secret,
		RedirectURI: op.redirectURI, PostLogoutRedirectURI: mustOrigin(op.redirectURI) + "/bye",
		Scope: "openid profile", TrustedWebOrigins: []string{mustOrigin(op.redirectURI)},
	}
}

func mustOrigin(raw string) string {
	u, _ := url.Parse(raw)
	return u.Scheme + "://" + u.Host
}

// useDPoP makes the provider take DPoP proofs, advertise them, and, with
// nonces, require server nonces in them (RFC 9449 section 8). Proofs stay
// optional: a token request without one gets bearer tokens.
func (op *testOP) useDPoP(t testing.TB, nonces bool) {
	opts := dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)}
	if nonces {
		n, err := dpop.NewNonces([]byte(strings.Repeat("n", dpop.MinNonceKeySize)), 0)
		if err != nil {
			t.Fatal(err)
		}
		opts.Nonces = n
	}
	v, err := dpop.NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	op.set(func(op *testOP) { op.dpop = v })
}

// proof checks r's DPoP proof for the endpoint at path and returns its
// key's thumbprint: "" without a proof where none is required (want.JKT
// empty), or without DPoP. A refused proof is answered, RFC 9449 section
// 5 (the token endpoint) or 7.1 (a resource), and ok is false.
func (op *testOP) proof(w http.ResponseWriter, r *http.Request, path string, want dpop.Request) (jkt string, ok bool) {
	op.mu.Lock()
	v := op.dpop
	op.mu.Unlock()
	if v == nil {
		return "", true
	}
	want.Method, want.URL = r.Method, op.URL+path
	p, err := v.Verify(r.Context(), r.Header, want)
	if errors.Is(err, dpop.ErrNoProof) && want.JKT == "" {
		return "", true
	}
	if err == nil {
		return p.JKT, true
	}
	code := dpop.CodeInvalidProof
	if e := (*dpop.Error)(nil); errors.As(err, &e) && e.Code == dpop.CodeUseNonce {
		code = e.Code
		w.Header().Set(dpop.NonceHeader, v.Nonce())
		op.mu.Lock()
		op.nonceAsked++
		op.mu.Unlock()
	}
	if want.AccessToken != "" {
		w.Header().Set("WWW-Authenticate", `DPoP error="`+code+`"`)
		w.WriteHeader(http.StatusUnauthorized)
	} else {
		writeTestJSON(w, http.StatusBadRequest, map[string]string{"error": code})
	}
	return "", false
}

func (op *testOP) discovery(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	var algs []string
	if op.dpop != nil {
		algs = op.dpop.Algorithms()
	}
	op.mu.Unlock()
	writeTestJSON(w, http.StatusOK, map[string]any{
		"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize", "token_endpoint": op.URL + "/token",
		"jwks_uri": op.URL + "/jwks", "userinfo_endpoint": op.URL + "/userinfo", "revocation_endpoint": op.URL + "/revoke",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		"dpop_signing_alg_values_supported":     algs,
	})
}

func (op *testOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != op.clientID || q.Get("redirect_uri") != op.redirectURI || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("scope") != "openid profile" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	resp := url.Values{"state": {q.Get("state")}}
	if q.Get("prompt") == "none" {
		resp.Set("error", "login_required")
	} else {
		code := rand.Text()
		op.mu.Lock()
		op.codes[code] = opCode{challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
		op.mu.Unlock()
		resp.Set("code", code)
	}
	http.Redirect(w, r, op.redirectURI+"?"+resp.Encode(), http.StatusFound)
}

func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	if _, _, basic := r.BasicAuth(); basic || r.PostFormValue("client_id") != op.clientID || r.PostFormValue("client_secret") != op.secret {
		writeTestJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	invalidGrant := func() { writeTestJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"}) }
	jkt, ok := op.proof(w, r, "/token", dpop.Request{})
	if !ok {
		return
	}
	op.mu.Lock()
	op.proofs = append(op.proofs, jkt)
	op.mu.Unlock()
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		op.mu.Lock()
		c, ok := op.codes[r.PostFormValue("code")]
		delete(op.codes, r.PostFormValue("code"))
		op.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge || r.PostFormValue("redirect_uri") != op.redirectURI {
			invalidGrant()
			return
		}
		op.issue(w, c.nonce, jkt)
	case "refresh_token":
		op.refreshCalls.Add(1)
		op.mu.Lock()
		gate := op.gate
		op.mu.Unlock()
		if gate != nil {
			<-gate
		}
		rt := r.PostFormValue("refresh_token")
		op.mu.Lock()
		used, ok := op.refresh[rt]
		// A proof of another key does not spend a bound token.
		ok = ok && !(op.bindRefresh && op.bound[rt] != jkt)
		if ok {
			op.refresh[rt] = true
		}
		op.mu.Unlock()
		if !ok || used {
			// A rotated token is spent: a reuse is refused.
			invalidGrant()
			return
		}
		op.issue(w, "", jkt)
	default:
		writeTestJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	}
}

// revoke is the revocation endpoint (RFC 7009): it spends a refresh token.
func (op *testOP) revoke(w http.ResponseWriter, r *http.Request) {
	if _, _, basic := r.BasicAuth(); basic || r.PostFormValue("client_id") != op.clientID || r.PostFormValue("client_secret") != op.secret {
		writeTestJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.revokeStatus != 0 {
		w.WriteHeader(op.revokeStatus)
		return
	}
	if _, ok := op.refresh[r.PostFormValue("token")]; ok {
		op.refresh[r.PostFormValue("token")] = true
	}
	w.WriteHeader(http.StatusOK)
}

// issue answers with new tokens: an access token, a refresh token and an
// ID token. The access token is opaque, or, bound to the key of
// thumbprint jkt, an unsigned JWT naming it in cnf.jkt (RFC 9449 section
// 6.1), which the agent reads without verifying.
func (op *testOP) issue(w http.ResponseWriter, nonce, jkt string) {
	at, rt, typ := rand.Text(), rand.Text(), "Bearer"
	op.mu.Lock()
	if jkt != "" && !op.bearerAnswer {
		claims, _ := json.Marshal(map[string]any{"jti": at, "cnf": map[string]string{"jkt": jkt}})
		at, typ = "eyJhbGciOiJub25lIn0."+base64.RawURLEncoding.EncodeToString(claims)+".", "DPoP"
		op.bound[at], op.bound[rt] = jkt, jkt
	}
	op.access[at], op.refresh[rt] = true, false
	id := op.idToken(nonce)
	op.mu.Unlock()
	writeTestJSON(w, http.StatusOK, map[string]any{
		"access_token": at, "token_type": typ, "expires_in": 300, "refresh_token": rt, "id_token": id,
	})
}

// idToken signs an ID token for the test user. op.mu must be held.
func (op *testOP) idToken(nonce string) string {
	now := time.Now()
	claims := map[string]any{
		"iss": op.URL, "sub": opSubject, "aud": op.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"name": "Alice Example",
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if op.idClaims != nil {
		op.idClaims(claims)
	}
	key := op.key
	if op.signer != nil {
		key = op.signer
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (op *testOP) jwks(w http.ResponseWriter, r *http.Request) {
	writeTestJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: op.key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
}

// userinfo requires a bound token under the DPoP scheme with a proof of
// its key (RFC 9449 section 7.1), and any other under Bearer.
func (op *testOP) userinfo(w http.ResponseWriter, r *http.Request) {
	scheme, at, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	op.mu.Lock()
	jkt, known := op.bound[at], op.access[at]
	op.mu.Unlock()
	want := "Bearer"
	if jkt != "" {
		want = "DPoP"
	}
	if !known || scheme != want {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if jkt != "" {
		if _, ok := op.proof(w, r, "/userinfo", dpop.Request{AccessToken: at, JKT: jkt}); !ok {
			return
		}
	}
	writeTestJSON(w, http.StatusOK, map[string]any{"sub": opSubject, "name": "Alice Example", "locale": "en"})
}

// revokeAccess makes the userinfo endpoint refuse every access token.
func (op *testOP) revokeAccess() {
	op.mu.Lock()
	defer op.mu.Unlock()
	maps.DeleteFunc(op.access, func(string, bool) bool { return true })
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
