package guard

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestIntrospectAuthServer checks the introspection client against the
// real server's endpoint: client_secret_basic is accepted, the answer is
// understood, and a revoked token is inactive. Portcullis tokens are JWTs,
// which the guard verifies locally, so the client is called directly.
func TestIntrospectAuthServer(t *testing.T) {
	srv := authservertest.New(t)
	g, err := New(t.Context(), Options{
		Issuer: srv.URL, Audience: authservertest.API, Logger: slog.New(slog.DiscardHandler),
		Introspection: Introspection{ClientID: srv.ClientID, ClientSecret: srv.ClientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	token := srv.Token(t, "list:users")
	raw, resp, err := g.introspector.call(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.introspector.judge(resp, g.s.Issuer, g.s.Audience, g.s.Clock(), 0); err != nil {
		t.Fatalf("active token judged %v", err)
	}
	if c := resp.caller(raw); c.Subject() != srv.ClientID || c.ClientID() != srv.ClientID || !c.HasScope("list:users") {
		t.Errorf("caller %q %q %q", c.Subject(), c.ClientID(), c.Scopes())
	}
	srv.Revoke(t, token)
	if _, resp, err = g.introspector.call(token); err != nil {
		t.Fatal(err)
	}
	if err := g.introspector.judge(resp, g.s.Issuer, g.s.Audience, g.s.Clock(), 0); !errors.Is(err, ErrInactive) {
		t.Errorf("revoked token judged %v, want ErrInactive", err)
	}
}
