package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/store"
)

// callback is where the upstream Portcullis returns; SignIn stops there, so
// nothing needs to listen.
const callback = "https://portcullis.example/connectors/upstream/callback"

// rpClients registers the connector's clients at the upstream: one with a
// secret, one with private_key_jwt and key's public half.
func rpClients(t *testing.T, key *ecdsa.PrivateKey) (func(*authserver.Config), string) {
	secret, hash := authserver.NewSecret()
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "rp-key", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	base := store.Client{
		GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{callback},
		Scopes: []string{"openid", "profile", "email"}, SkipConsent: true,
	}
	withSecret, withKey := base, base
	withSecret.ID, withSecret.SecretHash, withSecret.AuthMethod = "rp-secret", hash, store.AuthSecretBasic
	withKey.ID, withKey.JWKS, withKey.AuthMethod = "rp-key", jwks, store.AuthPrivateKey
	return func(c *authserver.Config) { c.Clients = append(c.Clients, withSecret, withKey) }, secret
}

func pemKey(t *testing.T, key *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// signIn runs one sign-in through c at the upstream s: Start, the person
// signing in at the upstream, Finish with the callback's query.
func signIn(t *testing.T, c *Connector, s *authservertest.Server, loginHint string) (connectors.Identity, error) {
	t.Helper()
	ctx := context.Background()
	authURL, st, err := c.Start(ctx, callback, connectors.StartOptions{LoginHint: loginHint})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	back := authservertest.SignIn(t, s.URL, authURL, callback, s.Username, s.Password)
	return c.Finish(ctx, callback, st, back.Query())
}

// TestPortcullisUpstream signs in through a second Portcullis, a real
// provider, with each way of authenticating the client.
func TestPortcullisUpstream(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	configure, secret := rpClients(t, key)
	s := authservertest.New(t, configure)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"client_secret_basic", Config{Issuer: s.URL, ClientID: "rp-secret", ClientSecret: secret}},
		{"private_key_jwt", Config{Issuer: s.URL, ClientID: "rp-key", PrivateKey: pemKey(t, key), KeyID: "rp-key"}},
		{"userinfo", Config{Issuer: s.URL, ClientID: "rp-secret", ClientSecret: secret, UserInfo: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			id, err := signIn(t, c, s, "demo")
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if id.Subject == "" || id.Username != "demo" || id.Email != "demo@example.com" || !id.EmailVerified ||
				id.Name != "Demo User" || !slices.Equal(id.AMR, []string{"pwd"}) {
				t.Errorf("identity = %+v, want the demo user's claims and amr pwd", id)
			}
		})
	}
}

// TestPortcullisUpstreamReplay: the code and the state of a finished
// sign-in cannot finish another.
func TestPortcullisUpstreamReplay(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	configure, secret := rpClients(t, key)
	s := authservertest.New(t, configure)
	c, err := New(Config{Issuer: s.URL, ClientID: "rp-secret", ClientSecret: secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authURL, st, err := c.Start(ctx, callback, connectors.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back := authservertest.SignIn(t, s.URL, authURL, callback, s.Username, s.Password).Query()
	if _, err := c.Finish(ctx, callback, st, back); err != nil {
		t.Fatalf("first Finish: %v", err)
	}
	if _, err := c.Finish(ctx, callback, st, back); !errors.Is(err, connectors.ErrRefused) {
		t.Errorf("code redeemed twice: err = %v, want ErrRefused", err)
	}
	_, other, _ := c.Start(ctx, callback, connectors.StartOptions{})
	if _, err := c.Finish(ctx, callback, other, back); !errors.Is(err, connectors.ErrRefused) {
		t.Errorf("answer to another sign-in: err = %v, want ErrRefused", err)
	}
}

// TestPortcullisUpstreamLate: a provider down when the connector is made
// fails Start with ErrUpstream, and is found once it is up.
func TestPortcullisUpstreamLate(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	configure, secret := rpClients(t, key)
	issuer, start := authservertest.Late(t, configure)
	c, err := New(Config{Issuer: issuer, ClientID: "rp-secret", ClientSecret: secret}, nil)
	if err != nil {
		t.Fatalf("New with the provider down: %v", err)
	}
	if _, _, err := c.Start(context.Background(), callback, connectors.StartOptions{}); !errors.Is(err, connectors.ErrUpstream) {
		t.Fatalf("Start with the provider down: err = %v, want ErrUpstream", err)
	}
	s := start()
	if _, err := signIn(t, c, s, ""); err != nil {
		t.Fatalf("sign-in once the provider is up: %v", err)
	}
}

// TestStartRequest: the authorization request carries what Finish checks.
func TestStartRequest(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	configure, secret := rpClients(t, key)
	s := authservertest.New(t, configure)
	c, err := New(Config{Issuer: s.URL, ClientID: "rp-secret", ClientSecret: secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	maxAge := int64(300)
	authURL, st, err := c.Start(context.Background(), callback, connectors.StartOptions{LoginHint: "ann@example.com", Prompt: "login", MaxAge: &maxAge})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	want := map[string]string{
		"client_id": "rp-secret", "redirect_uri": callback, "response_type": "code",
		"scope": "openid email profile", "state": st.State, "nonce": st.Nonce,
		"code_challenge_method": "S256", "login_hint": "ann@example.com", "prompt": "login", "max_age": "300",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("code_challenge") == "" || st.Verifier == "" || st.State == st.Nonce {
		t.Errorf("PKCE or state missing: %v %+v", q, st)
	}
}
