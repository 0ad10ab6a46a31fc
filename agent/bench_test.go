package agent_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/agent"
)

// The /login/end benchmarks call the agent's handler directly, without a
// network round trip to it, next to BenchmarkBaselineES256Verify, the bare
// check of one ID token signature. Calls to the provider (the minimal
// one, in this process) do go over loopback HTTP.

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

// BenchmarkLoginEndSession is /login/end on an ordinary page load of a
// signed-in browser: the origin checks, one cookie decrypted, JSON out.
func BenchmarkLoginEndSession(b *testing.B) {
	op := newTestOP(b, appURL)
	cfg := op.config()
	base, a := startAgent(b, cfg)
	br := newBrowser(b, base, cfg)
	br.signIn("", "")
	cookie := "pc-at=" + br.cookie("pc-at", "/")
	body := `{"pageUrl": "` + appURL + `orders"}`
	b.ReportAllocs()
	for b.Loop() {
		if w := serve(a, body, cookie); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkLoginEndCallback is /login/end with an authorization response,
// code redemption included: the login cookie decrypted, a token request to
// the provider (which signs an ES256 ID token), the ID token verified,
// three cookies sealed. The /login/start and authorization request of
// each login are made with the timer stopped.
func BenchmarkLoginEndCallback(b *testing.B) {
	op := newTestOP(b, appURL)
	cfg := op.config()
	base, a := startAgent(b, cfg)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		br := newBrowser(b, base, cfg)
		page := br.landing(br.start(), "", "")
		cookie := "pc-login=" + br.cookie("pc-login", "/")
		b.StartTimer()
		if w := serve(a, `{"pageUrl": "`+page+`"}`, cookie); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// serve calls /login/end on the handler as the app would.
func serve(a *agent.Agent, body, cookie string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/oauth-agent/login/end", strings.NewReader(body))
	r.Header.Set("Origin", "http://127.0.0.1:3000")
	r.Header.Set("Token-Handler-Version", "1")
	r.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}
