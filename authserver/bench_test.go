package authserver_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
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

// serveForm runs one request through the real handler, without a network.
func serveForm(b *testing.B, h http.Handler, path, body string, hdr header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(hdr.key, hdr.value)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, w.Code, w.Body)
	}
	return w
}

// BenchmarkTokenClientCredentials is the token endpoint: form parsing,
// client_secret_basic, scope and audience, RFC 9068 token signed with ES256.
func BenchmarkTokenClientCredentials(b *testing.B) {
	as := authservertest.New(b)
	auth := basic(as.ClientID, as.ClientSecret)
	body := "grant_type=client_credentials&scope=list:users+read:users"
	b.ReportAllocs()
	for b.Loop() {
		serveForm(b, as.Handler, "/token", body, auth)
	}
}

// BenchmarkIntrospect is introspection of an active ES256 token: client
// authentication, signature verification and the revocation lookup in
// SQLite.
func BenchmarkIntrospect(b *testing.B) {
	as := authservertest.New(b)
	auth := basic(as.ClientID, as.ClientSecret)
	body := url.Values{"token": {as.Token(b, "list:users")}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		w := serveForm(b, as.Handler, "/introspect", body, auth)
		if !strings.Contains(w.Body.String(), `"active":true`) {
			b.Fatal(w.Body.String())
		}
	}
}
