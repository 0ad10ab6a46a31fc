package authserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// sharedStore opens a handle on the PostgreSQL database dsn, screened by
// the Redis at redisURL unless it is empty, as each instance does.
func sharedStore(dsn, redisURL string) func(testing.TB) store.Store {
	return func(tb testing.TB) store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			tb.Fatal(err)
		}
		if redisURL == "" {
			return st
		}
		rs, err := redisstate.Open(context.Background(), redisURL, nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { rs.Close() })
		return rs.Store(st)
	}
}

// TestCluster runs three servers on one PostgreSQL database behind one
// issuer, as several instances behind a load balancer, and checks that
// every guarantee of a single instance holds across them.
func TestCluster(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
	if redisURL == "" {
		t.Log("PORTCULLIS_TEST_REDIS not set: the cluster runs on PostgreSQL alone, and guards learn of revocations by polling")
	}
	key := newClientKey(t, "k1")
	c := authservertest.NewCluster(t, 3, sharedStore(dsn, redisURL), func(cfg *authserver.Config) {
		cfg.Clients = append(cfg.Clients, store.Client{ID: "signer", AuthMethod: store.AuthPrivateKey, JWKS: key.jwks(t),
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}})
	})
	a, b, cc := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	introspect := func(node *authservertest.Server, tok string) map[string]any {
		t.Helper()
		_, body := postForm(t, node.URL+"/introspect", url.Values{"token": {tok}}, basic(node.ClientID, node.ClientSecret))
		return body
	}

	t.Run("token from A introspects active at B", func(t *testing.T) {
		tok := a.Token(t, "list:users")
		if got := introspect(b, tok); got["active"] != true || got["iss"] != c.Issuer {
			t.Fatalf("introspection at B: %v", got)
		}
	})

	t.Run("revoked at B: inactive at C at once, refused by a guard within the bound", func(t *testing.T) {
		// With Redis the guard polls hourly and hears of revocations at
		// once; without, it polls every 100 ms.
		interval := 100 * time.Millisecond
		if redisURL != "" {
			interval = time.Hour
		}
		g, err := guard.New(context.Background(), guard.Options{Issuer: c.Issuer, Audience: authservertest.API, RevocationInterval: interval})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		if redisURL != "" {
			rs, err := redisstate.Open(context.Background(), redisURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go rs.SubscribeRevocations(ctx, g.RefreshRevocations)
		}
		tok := a.Token(t, "list:users")
		if _, err := g.Verify(context.Background(), tok); err != nil {
			t.Fatalf("guard before revocation: %v", err)
		}
		b.Revoke(t, tok)
		if got := introspect(cc, tok); got["active"] != false {
			t.Fatalf("introspection at C right after revocation at B: %v", got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := g.Verify(context.Background(), tok)
			if errors.Is(err, guard.ErrRevoked) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("guard still accepts the revoked token after 5s: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("a login form served by A is accepted by B", func(t *testing.T) {
		// The CSRF token is keyed with the server secret, which every node
		// reads from the shared database. Cookies ignore the port, so the
		// browser cookie A set reaches B.
		br := newBrowser(t, a)
		form := authservertest.HiddenFields(br.get(webFlow(a, "openid").authURL()).body)
		form.Set("username", a.Username)
		form.Set("password", a.Password)
		if p := br.post(b.URL+"/login", form); p.status != http.StatusSeeOther {
			t.Fatalf("login form of A posted to B: %d %s", p.status, p.body)
		}
	})

	t.Run("one code redeemed concurrently at A and B: one success", func(t *testing.T) {
		br := newBrowser(t, a)
		f := webFlow(a, "openid", "offline_access")
		form := exchangeForm(f, br.signIn(f))
		wins := 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 20 {
			node := []*authservertest.Server{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if status, _ := postForm(t, node.URL+"/token", form, basic(node.WebClientID, node.WebClientSecret)); status == 200 {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of 20 redemptions across A and B succeeded, want 1", wins)
		}
	})

	t.Run("one refresh token used concurrently at all three: one successor", func(t *testing.T) {
		br := newBrowser(t, b)
		f := webFlow(b, "openid", "offline_access")
		tok, err := f.exchange(br.signIn(f))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		successors := map[string]bool{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 30 {
			node := c.Nodes[i%3]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status, body := refreshed(t, node, tok.RefreshToken, nil)
				if status != 200 {
					t.Errorf("refresh at %s: %d %v", node.URL, status, body)
					return
				}
				mu.Lock()
				successors[body["refresh_token"].(string)] = true
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		if len(successors) != 1 {
			t.Fatalf("30 refreshes across three instances made %d successors, want 1", len(successors))
		}
	})

	t.Run("key rotated via A is served by B and C before anyone signs with it", func(t *testing.T) {
		ctx := context.Background()
		k, err := keys.Rotate(ctx, a.Store, keys.ES256, time.Now().Add(time.Hour), time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, node := range c.Nodes {
			if err := node.Keys.Reload(ctx); err != nil { // what each instance's 30 s reload does
				t.Fatal(err)
			}
		}
		for _, node := range []*authservertest.Server{b, cc} {
			var set jose.JSONWebKeySet
			getJSON(t, node.URL+"/jwks", &set)
			if len(set.Key(k.ID)) != 1 {
				t.Fatalf("%s does not serve the rotated key", node.URL)
			}
			tok, _ := jwt.ParseSigned(node.Token(t, ""), []jose.SignatureAlgorithm{jose.ES256})
			if tok.Headers[0].KeyID == k.ID {
				t.Fatalf("%s signs with the new key before its activation", node.URL)
			}
		}
	})

	t.Run("private_key_jwt assertion replayed at another instance is refused", func(t *testing.T) {
		as := key.assertion(t, "signer", c.Issuer, nil)
		if status, body := postForm(t, a.URL+"/token", assertionForm(as)); status != 200 {
			t.Fatalf("assertion at A: %d %v", status, body)
		}
		if status, body := postForm(t, b.URL+"/token", assertionForm(as)); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Fatalf("the same assertion at B: %d %v", status, body)
		}
	})

	t.Run("discovery is the same at every instance", func(t *testing.T) {
		var docs []string
		for _, node := range c.Nodes {
			var m map[string]any
			getJSON(t, node.URL+"/.well-known/openid-configuration", &m)
			b, _ := json.Marshal(m)
			docs = append(docs, string(b))
		}
		if docs[0] != docs[1] || docs[1] != docs[2] {
			t.Fatalf("instances disagree on discovery:\n%s\n%s\n%s", docs[0], docs[1], docs[2])
		}
	})
}
