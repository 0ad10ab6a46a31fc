package authserver_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// The baselines: one bare ES256 signature and verification over a payload
// the size of an access token's. Report endpoint figures as ratios to them.
func BenchmarkBaselineES256Sign(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	payload := []byte(strings.Repeat("x", 300))
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(payload)
		if _, err := ecdsa.SignASN1(rand.Reader, key, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineES256Verify(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	payload := []byte(strings.Repeat("x", 300))
	sum := sha256.Sum256(payload)
	sig, _ := ecdsa.SignASN1(rand.Reader, key, sum[:])
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(payload)
		if !ecdsa.VerifyASN1(&key.PublicKey, sum[:], sig) {
			b.Fatal("verify failed")
		}
	}
}

// BenchmarkBaselineRS256Sign is the baseline for grants that mint an ID
// token: OpenID Connect's default algorithm, RSA-2048 with SHA-256.
func BenchmarkBaselineRS256Sign(b *testing.B) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	payload := []byte(strings.Repeat("x", 600))
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(payload)
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// serveForm runs one request through the real handler, without a network.
func serveForm(b *testing.B, h http.Handler, path, body string, hdrs ...header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, hdr := range hdrs {
		req.Header.Set(hdr.key, hdr.value)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, w.Code, w.Body)
	}
	return w
}

// backends runs a benchmark against a server on each store: SQLite, and
// PostgreSQL when PORTCULLIS_TEST_POSTGRES is set.
func backends(b *testing.B, run func(b *testing.B, as *authservertest.Server)) {
	b.Run("sqlite", func(b *testing.B) { run(b, authservertest.New(b)) })
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.FreshSchema(b)
		c := authservertest.NewCluster(b, 1, func(tb testing.TB) store.Store {
			st, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				tb.Fatal(err)
			}
			return st
		})
		run(b, c.Nodes[0])
	})
}

// BenchmarkTokenClientCredentials is the token endpoint: form parsing,
// client_secret_basic, scope and audience, RFC 9068 token signed with ES256,
// its audit event and usage count. The store is not touched on the request
// path: the client is configured and the JWT carries its own state. Compare
// it with BenchmarkBaselineES256Handler.
func BenchmarkTokenClientCredentials(b *testing.B) {
	backends(b, func(b *testing.B, as *authservertest.Server) {
		auth := basic(as.ClientID, as.ClientSecret)
		body := "grant_type=client_credentials&scope=list:users+read:users"
		b.ReportAllocs()
		for b.Loop() {
			serveForm(b, as.Handler, "/token", body, auth)
		}
	})
}

// BenchmarkTokenClientCredentialsDPoP is BenchmarkTokenClientCredentials
// with a DPoP proof (RFC 9449): its verification (one ES256 verify, the
// JWK thumbprint) and its jti marked used in the store. Proofs are made
// before the timer starts. Compare the difference with
// BenchmarkTokenClientCredentials to BenchmarkBaselineES256Verify.
func BenchmarkTokenClientCredentialsDPoP(b *testing.B) {
	backends(b, func(b *testing.B, as *authservertest.Server) {
		auth := basic(as.ClientID, as.ClientSecret)
		body := "grant_type=client_credentials&scope=list:users+read:users"
		key, err := dpop.GenerateKey()
		if err != nil {
			b.Fatal(err)
		}
		proofs := make([]string, b.N)
		for i := range proofs {
			if proofs[i], err = key.Proof(http.MethodPost, as.Config.Issuer+"/token", "", ""); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			serveForm(b, as.Handler, "/token", body, auth, header{dpop.Header, proofs[i]})
		}
	})
}

// BenchmarkIntrospect is introspection of an active ES256 token seen
// before: client authentication, the remembered verification and answer,
// and the store's revocation version (a memory read on SQLite, a shared
// query on PostgreSQL). Compare it with BenchmarkBaselineBareHandler.
func BenchmarkIntrospect(b *testing.B) {
	backends(b, func(b *testing.B, as *authservertest.Server) {
		auth := basic(as.ClientID, as.ClientSecret)
		body := url.Values{"token": {as.Token(b, "list:users")}}.Encode()
		b.ReportAllocs()
		for b.Loop() {
			w := serveForm(b, as.Handler, "/introspect", body, auth)
			if !strings.Contains(w.Body.String(), `"active":true`) {
				b.Fatal(w.Body.String())
			}
		}
	})
}

// BenchmarkCodeExchange is the authorization_code grant through the handler:
// client authentication, code redemption (one conditional update), PKCE,
// an ES256 access token, an RS256 ID token, a refresh token, and the
// transaction that records them. Signing in to get each code is excluded.
func BenchmarkCodeExchange(b *testing.B) {
	as := authservertest.New(b)
	auth := basic(as.WebClientID, as.WebClientSecret)
	verifier := "benchmark-verifier-benchmark-verifier-benchmark"
	codes := make([]string, 0, b.N)
	for range b.N {
		codes = append(codes, codeFor(b, as, verifier))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		body := url.Values{"grant_type": {"authorization_code"}, "code": {codes[i]}, "redirect_uri": {as.RedirectURI}, "code_verifier": {verifier}}.Encode()
		serveForm(b, as.Handler, "/token", body, auth)
	}
}

// BenchmarkRefresh is the refresh_token grant through the handler: lookup,
// an ES256 access token, an RS256 ID token, the sealed successor, and the
// rotation transaction.
func BenchmarkRefresh(b *testing.B) {
	as := authservertest.New(b)
	auth := basic(as.WebClientID, as.WebClientSecret)
	verifier := "benchmark-verifier-benchmark-verifier-benchmark"
	body := url.Values{"grant_type": {"authorization_code"}, "code": {codeFor(b, as, verifier)}, "redirect_uri": {as.RedirectURI}, "code_verifier": {verifier}}.Encode()
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	json.Unmarshal(serveForm(b, as.Handler, "/token", body, auth).Body.Bytes(), &tok)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := serveForm(b, as.Handler, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}.Encode(), auth)
		json.Unmarshal(w.Body.Bytes(), &tok)
	}
}

// codeFor issues a code for the test user straight into the store, as the
// sign-in pages would.
func codeFor(b *testing.B, as *authservertest.Server, verifier string) string {
	ctx := b.Context()
	u, err := as.Store.GetUserByUsername(ctx, as.Username)
	if err != nil {
		b.Fatal(err)
	}
	code, grant := rand.Text(), rand.Text()
	now := time.Now()
	sum := sha256.Sum256([]byte(verifier))
	if err := as.Store.CreateGrant(ctx, store.Grant{ID: grant, UserID: u.ID, ClientID: as.WebClientID, ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	codeHash := sha256.Sum256([]byte(code))
	err = as.Store.CreateAuthCode(ctx, store.AuthCode{
		Hash: base64.RawURLEncoding.EncodeToString(codeHash[:]), GrantID: grant, ClientID: as.WebClientID,
		RedirectURI: as.RedirectURI, RedirectURIGiven: true, CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
		UserID: u.ID, Scopes: []string{"openid", "profile", "offline_access", "read:users"}, AuthTime: now, AMR: []string{"pwd"},
		ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		b.Fatal(err)
	}
	return code
}
