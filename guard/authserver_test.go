package guard_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/store"
)

// These tests run the guard against a real Portcullis authorization server
// in the same process.

// kidOf returns the "kid" header of a JWS.
func kidOf(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')])
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func TestAuthServerTokens(t *testing.T) {
	srv := authservertest.New(t)
	g := newGuard(t, srv.URL)
	if algs := g.Algorithms(); !slices.Contains(algs, "ES256") || !slices.Contains(algs, "RS256") {
		t.Errorf("Algorithms() = %q, want ES256 and RS256 from discovery", algs)
	}
	w := serve(g.Middleware(g.RequireScopes("list:users")(ok)), "Bearer "+srv.Token(t, "list:users read:users"))
	if w.Code != 200 || w.Body.String() != srv.ClientID {
		t.Errorf("status %d, subject %q; want 200 and %q", w.Code, w.Body, srv.ClientID)
	}
	w = serve(g.Middleware(g.RequireScopes("write:users")(ok)), "Bearer "+srv.Token(t, "list:users"))
	if w.Code != 403 {
		t.Errorf("missing scope: status %d, want 403", w.Code)
	}
	other := newGuard(t, srv.URL, func(o *guard.Options) { o.Audience = "https://other.example.com" })
	if _, err := other.Verify(t.Context(), srv.Token(t, "list:users")); !errors.Is(err, guard.ErrAudience) {
		t.Errorf("token for another API: %v, want ErrAudience", err)
	}
}

func TestAuthServerRS256(t *testing.T) {
	srv := authservertest.New(t, func(c *authserver.Config) { c.AccessTokenAlg = "RS256" })
	g := newGuard(t, srv.URL)
	if _, err := g.Verify(t.Context(), srv.Token(t, "list:users")); err != nil {
		t.Fatal(err)
	}
}

// TestAuthServerRotationPublishedFirst rotates the way Portcullis does in
// production: the new key is published a while before it signs. The
// guard's background refresh picks it up, and the first token under it
// passes.
func TestAuthServerRotationPublishedFirst(t *testing.T) {
	clock := newClock()
	srv := authservertest.New(t, func(c *authserver.Config) { c.Now = clock.Now })
	g := newGuard(t, srv.URL, func(o *guard.Options) {
		o.Clock = clock.Now
		o.KeyRefreshMin, o.KeyRefreshMax = 5*time.Millisecond, 5*time.Millisecond
	})
	if _, err := g.Verify(t.Context(), srv.Token(t, "list:users")); err != nil {
		t.Fatal(err)
	}
	kid := srv.RotateKeys(t, clock.Now().Add(time.Minute))
	fetches := g.Stats().KeySetFetches
	waitFor(t, "a refresh after the rotation", func() bool { return g.Stats().KeySetFetches >= fetches+2 })
	clock.Advance(time.Minute)
	token := srv.Token(t, "list:users")
	if got := kidOf(t, token); got != kid {
		t.Fatalf("token signed by %q, want the new key %q", got, kid)
	}
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Fatalf("first token under the new key: %v", err)
	}
	if n := g.Stats().KeySetFailures; n != 0 {
		t.Errorf("%d failed fetches", n)
	}
}

// TestAuthServerRotationImmediate rotates to a key that signs before the
// guard's next refresh, in the middle of a stream of requests with fresh
// tokens: the unknown kid is fetched on demand and no request fails.
func TestAuthServerRotationImmediate(t *testing.T) {
	clock := newClock()
	srv := authservertest.New(t, func(c *authserver.Config) { c.Now = clock.Now })
	g := newGuard(t, srv.URL, func(o *guard.Options) { o.Clock = clock.Now })
	var kid string
	for i := range 20 {
		if i == 10 {
			// The store keeps activation times in whole seconds, so the
			// new key activates a second later to be strictly the newest.
			kid = srv.RotateKeys(t, clock.Now().Add(time.Second))
			clock.Advance(2 * time.Second)
		}
		token := srv.Token(t, "list:users")
		if _, err := g.Verify(t.Context(), token); err != nil {
			t.Fatalf("request %d (kid %s): %v", i, kidOf(t, token), err)
		}
		if i >= 10 && kidOf(t, token) != kid {
			t.Fatalf("request %d signed by %q, want %q", i, kidOf(t, token), kid)
		}
	}
}

// TestAuthServerDown stops the issuer: tokens under known keys, seen or
// not, keep working, and the failures are counted.
func TestAuthServerDown(t *testing.T) {
	srv := authservertest.New(t)
	g := newGuard(t, srv.URL, func(o *guard.Options) {
		o.KeyRefreshMin, o.KeyRefreshMax = 5*time.Millisecond, 5*time.Millisecond
		o.RevocationInterval = 5 * time.Millisecond
	})
	seen, unseen := srv.Token(t, "list:users"), srv.Token(t, "read:users")
	if _, err := g.Verify(t.Context(), seen); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	waitFor(t, "failed refreshes and polls", func() bool {
		st := g.Stats()
		return st.KeySetFailures >= 2 && st.RevocationFailures >= 2
	})
	for name, token := range map[string]string{"seen": seen, "unseen": unseen} {
		if _, err := g.Verify(t.Context(), token); err != nil {
			t.Errorf("%s token with the issuer down: %v", name, err)
		}
	}
}

// TestAuthServerRevocation revokes a token at the server's revocation
// endpoint: the guard refuses it once a poll started after the revocation
// has completed, that is within RevocationInterval plus one poll.
func TestAuthServerRevocation(t *testing.T) {
	srv := authservertest.New(t)
	g := newGuard(t, srv.URL, func(o *guard.Options) { o.RevocationInterval = 5 * time.Millisecond })
	token, kept := srv.Token(t, "list:users"), srv.Token(t, "list:users")
	for _, tok := range []string{token, kept} {
		if _, err := g.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	srv.Revoke(t, token)
	polls := g.Stats().RevocationPolls
	waitFor(t, "two polls", func() bool { return g.Stats().RevocationPolls >= polls+2 })
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrRevoked) {
		t.Errorf("revoked token: %v, want ErrRevoked", err)
	}
	if _, err := g.Verify(t.Context(), kept); err != nil {
		t.Errorf("token not revoked: %v", err)
	}
}

// TestAuthServerRevokeClient revokes everything of the client credentials
// client at a real server, as portcullis tokens revoke --client does, with
// the server's clock in the middle of a second: the token issued before is
// refused by the guard after its next poll, and so is one issued in the
// same second after the revocation (iat counts whole seconds), while one
// issued in the next second is accepted.
func TestAuthServerRevokeClient(t *testing.T) {
	var clock atomic.Int64
	// Two seconds back, so that no token is issued in the guard's future.
	start := time.Now().Truncate(time.Second).Add(-2*time.Second + 300*time.Millisecond)
	clock.Store(start.UnixNano())
	srv := authservertest.New(t, func(c *authserver.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	g := newGuard(t, srv.URL, func(o *guard.Options) { o.RevocationInterval = time.Hour })
	before := srv.Token(t, "list:users")
	if _, err := g.Verify(t.Context(), before); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(200 * time.Millisecond))
	now := time.Unix(0, clock.Load())
	if _, err := srv.Store.RevokeAll(t.Context(), store.NewCutoff(srv.ClientID, "", now, time.Hour), now); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(200 * time.Millisecond))
	sameSecond := srv.Token(t, "list:users")
	clock.Add(int64(time.Second))
	after := srv.Token(t, "list:users")

	polls := g.Stats().RevocationPolls
	g.RefreshRevocations()
	waitFor(t, "the triggered poll", func() bool { return g.Stats().RevocationPolls > polls })
	for _, tt := range []struct {
		name    string
		token   string
		revoked bool
	}{
		{"issued before", before, true},
		{"issued in the revocation's second", sameSecond, true},
		{"issued after", after, false},
	} {
		_, err := g.Verify(t.Context(), tt.token)
		if got := errors.Is(err, guard.ErrRevoked); got != tt.revoked || (!tt.revoked && err != nil) {
			t.Errorf("%s: %v; want revoked %v", tt.name, err, tt.revoked)
		}
	}
}
