package authserver_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

type clientKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newClientKey(t *testing.T, kid string) clientKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return clientKey{k, kid}
}

func (k clientKey) jwks(t *testing.T) []byte {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.priv.Public(), KeyID: k.kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertion signs a client assertion; edit changes the claims first.
func (k clientKey) assertion(t *testing.T, clientID, aud string, edit func(*jwt.Claims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud}, ID: rand.Text(),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	if edit != nil {
		edit(&c)
	}
	return signAssertion(t, jose.ES256, k.priv, k.kid, c)
}

// signAssertion signs claims, a jwt.Claims or a map for shapes jwt.Claims
// does not produce.
func signAssertion(t *testing.T, alg jose.SignatureAlgorithm, priv any, kid string, claims any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawAssertion signs a client assertion whose aud is given as JSON.
func (k clientKey) rawAssertion(t *testing.T, clientID string, aud any) string {
	t.Helper()
	now := time.Now()
	return signAssertion(t, jose.ES256, k.priv, k.kid, map[string]any{"iss": clientID, "sub": clientID, "aud": aud,
		"jti": rand.Text(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
}

func assertionForm(a string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion": {a},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
}

func TestPrivateKeyJWT(t *testing.T) {
	key := newClientKey(t, "k1")
	stranger := newClientKey(t, "k1")
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{ID: "signer", AuthMethod: store.AuthPrivateKey, JWKS: key.jwks(t),
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}},
			store.Client{ID: "legacy", AuthMethod: store.AuthPrivateKey, JWKS: key.jwks(t), AssertionAudience: store.AssertionAudienceTokenEndpoint,
				GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}})
	})
	tokenURL := as.URL + "/token"
	iss := as.URL
	tests := []struct {
		name       string
		assertion  string
		wantStatus int
	}{
		{"valid, aud issuer", key.assertion(t, "signer", iss, nil), 200},
		{"aud issuer in a one-member array", key.rawAssertion(t, "signer", []string{iss}), 200},
		{"aud token endpoint", key.assertion(t, "signer", tokenURL, nil), 401},
		{"aud PAR endpoint", key.assertion(t, "signer", as.URL+"/par", nil), 401},
		{"aud issuer and token endpoint", key.rawAssertion(t, "signer", []string{iss, tokenURL}), 401},
		{"aud issuer and another server", key.rawAssertion(t, "signer", []string{iss, "https://elsewhere.example"}), 401},
		{"opted in, aud token endpoint", key.assertion(t, "legacy", tokenURL, nil), 200},
		{"opted in, aud issuer", key.assertion(t, "legacy", iss, nil), 200},
		{"opted in, aud issuer and token endpoint", key.rawAssertion(t, "legacy", []string{iss, tokenURL}), 401},
		{"opted in, aud PAR endpoint", key.assertion(t, "legacy", as.URL+"/par", nil), 401},
		{"wrong audience", key.assertion(t, "signer", "https://elsewhere.example/token", nil), 401},
		{"signed by another key", stranger.assertion(t, "signer", iss, nil), 401},
		{"expired", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Minute)) }), 401},
		{"no exp", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.Expiry = nil }), 401},
		{"no iat", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.IssuedAt = nil }), 401},
		{"exp 5 minutes after iat", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(c.IssuedAt.Time().Add(5 * time.Minute)) }), 200},
		{"exp 6 minutes after iat", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(c.IssuedAt.Time().Add(6 * time.Minute)) }), 401},
		{"exp too far", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(2 * time.Hour)) }), 401},
		{"iat in the future", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(time.Hour)) }), 401},
		{"no jti", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.ID = "" }), 401},
		{"iss differs from sub", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.Issuer = "test-client" }), 401},
		{"not yet valid", key.assertion(t, "signer", iss, func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Minute)) }), 401},
		{"client registered for secrets", key.assertion(t, as.ClientID, iss, nil), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, tokenURL, assertionForm(tt.assertion))
			if status != tt.wantStatus {
				t.Fatalf("got %d %v, want %d", status, body, tt.wantStatus)
			}
			if tt.wantStatus == 401 && body["error"] != "invalid_client" {
				t.Fatalf("error = %v, want invalid_client", body["error"])
			}
		})
	}

	t.Run("replay refused under concurrency", func(t *testing.T) {
		a := key.assertion(t, "signer", iss, nil)
		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch status, body := postForm(t, tokenURL, assertionForm(a)); {
				case status == 200:
					ok.Add(1)
				case status == 401 && body["error"] == "invalid_client":
					refused.Add(1)
				default:
					t.Errorf("unexpected %d %v", status, body)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || refused.Load() != 49 {
			t.Fatalf("50 concurrent uses of one assertion: %d accepted, %d refused; want 1 and 49", ok.Load(), refused.Load())
		}
	})
}

// TestPrivateKeyJWTRemoteKeys covers jwks_uri: a client that rotates its key
// is followed once the kid is unknown.
func TestPrivateKeyJWTRemoteKeys(t *testing.T) {
	var mu sync.Mutex
	current := newClientKey(t, "v1")
	var fetches atomic.Int32
	keySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		w.Write(current.jwks(t))
	}))
	defer keySrv.Close()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.AllowPrivateJWKSURI = true // the key server is on loopback
		c.Clients = append(c.Clients, store.Client{ID: "remote", AuthMethod: store.AuthPrivateKey, JWKSURI: keySrv.URL,
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}})
	})
	tokenURL := as.URL + "/token"
	for range 3 {
		if status, body := postForm(t, tokenURL, assertionForm(current.assertion(t, "remote", as.URL, nil))); status != 200 {
			t.Fatalf("got %d %v", status, body)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("jwks_uri fetched %d times for 3 requests, want 1 (cached)", n)
	}
	mu.Lock()
	current = newClientKey(t, "v2")
	mu.Unlock()
	if status, body := postForm(t, tokenURL, assertionForm(current.assertion(t, "remote", as.URL, nil))); status != 200 {
		t.Fatalf("after client key rotation: %d %v", status, body)
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("jwks_uri fetched %d times, want 2 (one refetch for the new kid)", n)
	}
	// A bad signature under a known kid must not cause another fetch.
	forger := newClientKey(t, "v2")
	if status, _ := postForm(t, tokenURL, assertionForm(forger.assertion(t, "remote", as.URL, nil))); status != 401 {
		t.Fatalf("forged assertion: %d", status)
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("a bad signature under a known kid caused a fetch (%d)", n)
	}
	// A flood of made-up kids costs at most one fetch per interval; this one
	// falls in the interval of the rotation above.
	for i := range 20 {
		k := newClientKey(t, "random-"+string(rune('a'+i)))
		if status, _ := postForm(t, tokenURL, assertionForm(k.assertion(t, "remote", as.URL, nil))); status != 401 {
			t.Fatalf("assertion with an unknown kid: %d", status)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("20 unknown kids caused %d fetches, want none within the refetch interval", n-2)
	}
}

// TestPrivateKeyJWTWeakRemoteKey: an RSA key under 2048 bits fetched from a
// jwks_uri verifies nothing, and the answer says why; a good key beside it
// still works.
func TestPrivateKeyJWTWeakRemoteKey(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := newClientKey(t, "good")
	keySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: weak.Public(), KeyID: "weak", Algorithm: "RS256", Use: "sig"},
			{Key: good.priv.Public(), KeyID: "good", Algorithm: "ES256", Use: "sig"},
		}})
	}))
	defer keySrv.Close()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.AllowPrivateJWKSURI = true // the key server is on loopback
		c.Clients = append(c.Clients, store.Client{ID: "remote", AuthMethod: store.AuthPrivateKey, JWKSURI: keySrv.URL,
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}})
	})
	now := time.Now()
	claims := jwt.Claims{Issuer: "remote", Subject: "remote", Audience: jwt.Audience{as.URL}, ID: rand.Text(),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	status, body := postForm(t, as.URL+"/token", assertionForm(signAssertion(t, jose.RS256, weak, "weak", claims)))
	if desc, _ := body["error_description"].(string); status != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.Contains(desc, "at least 2048") {
		t.Fatalf("assertion signed with a 1024-bit RSA key: %d %v", status, body)
	}
	if status, body := postForm(t, as.URL+"/token", assertionForm(good.assertion(t, "remote", as.URL, nil))); status != http.StatusOK {
		t.Fatalf("the good key beside a weak one: %d %v", status, body)
	}
}
