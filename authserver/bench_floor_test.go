package authserver_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The floors: what an endpoint cannot go below, through the same
// serveForm as the endpoint benchmarks, so the ratios leave out only the
// endpoints' own work. BenchmarkBaselineBareHandler reads the form and
// answers a fixed introspection answer (introspection's floor);
// BenchmarkBaselineES256Handler also signs an RFC 9068 shaped token with
// go-jose, as a bare token endpoint would (the token endpoint's floor).
// bench/ measures the same floors over real connections.

func BenchmarkBaselineBareHandler(b *testing.B) {
	body := []byte(`{"active":true,"scope":"list:users read:users","client_id":"test-client","token_type":"Bearer","exp":1900000000,"iat":1899996400,"sub":"test-client","aud":"https://api.example.com","iss":"http://127.0.0.1:1","jti":"yubdjoQhmqLz0V9TMyf4Gg"}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	// A body the size of BenchmarkIntrospect's: parsing the form is the
	// floor's work too.
	form := "token=" + strings.Repeat("eyJhbGciOiJFUzI1NiJ9", 25)
	b.ReportAllocs()
	for b.Loop() {
		serveForm(b, h, "/introspect", form, basic("test-client", "secret"))
	}
}

func BenchmarkBaselineES256Handler(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		b.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		now := time.Now().Unix()
		payload, _ := json.Marshal(map[string]any{"iss": "http://127.0.0.1:1", "sub": "test-client", "aud": "https://api.example.com",
			"client_id": "test-client", "scope": "list:users read:users", "iat": now, "exp": now + 3600, "jti": "yubdjoQhmqLz0V9TMyf4Gg"})
		jws, err := signer.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		tok, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": "list:users read:users"})
	})
	b.ReportAllocs()
	for b.Loop() {
		serveForm(b, h, "/token", "grant_type=client_credentials&scope=list:users+read:users", basic("test-client", "secret"))
	}
}
