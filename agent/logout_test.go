package agent_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/agent"
)

// syncBuffer is a log destination safe for the agent's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestLogoutRevocation signs in at a provider that takes
// client_secret_post and logs out: the agent revokes the refresh token at
// the revocation endpoint with its client authentication, and when the
// endpoint fails the logout still clears every cookie and answers 200,
// logging the failure without the token.
func TestLogoutRevocation(t *testing.T) {
	tests := []struct {
		name         string
		revokeStatus int
		revoked      bool
	}{
		{"revoked", 0, true},
		{"revocation endpoint fails", http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := newTestOP(t, "http://127.0.0.1:1/cb")
			op.set(func(op *testOP) { op.revokeStatus = tt.revokeStatus })
			cfg := op.config()
			cfg.Listen, cfg.CookieEncryptionKey = "127.0.0.1:0", agent.Keys{testKey}
			var logs syncBuffer
			a, err := agent.New(t.Context(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(a)
			t.Cleanup(srv.Close)
			b := newBrowser(t, srv.URL+agent.DefaultBasePath, cfg)
			b.signIn("", "")
			var rt string
			op.set(func(op *testOP) {
				for tok := range op.refresh {
					rt = tok
				}
			})
			out := b.post("/logout", nil)
			if out.status != http.StatusOK || !sameSet(out.cleared(), []string{"pc-at", "pc-auth", "pc-auth", "pc-id", "pc-login"}) {
				t.Fatalf("logout: %d %s, cleared %v", out.status, out.body, out.cleared())
			}
			var revoked bool
			op.set(func(op *testOP) { revoked = op.refresh[rt] })
			if revoked != tt.revoked {
				t.Errorf("refresh token revoked: %v, want %v", revoked, tt.revoked)
			}
			failed := strings.Contains(logs.String(), "revoking the refresh token at logout failed")
			if failed == tt.revoked || strings.Contains(logs.String(), rt) {
				t.Errorf("log (failure logged %v, want %v; never the token):\n%s", failed, !tt.revoked, logs.String())
			}
		})
	}
}

// TestLogoutDuplicateRefreshCookies: a logout whose refresh token cookie
// another path or host duplicated still revokes the tokens, every copy
// that decrypts, and skips the copies that do not.
func TestLogoutDuplicateRefreshCookies(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	e := &badEnv{op: op, cfg: cfg, base: base}
	tokens := func() map[string]bool {
		out := map[string]bool{}
		op.set(func(op *testOP) {
			for tok, revoked := range op.refresh {
				out[tok] = revoked
			}
		})
		return out
	}
	before := tokens()
	victim, other := e.signedIn(t), e.signedIn(t)
	var issued []string
	for tok := range tokens() {
		if _, ok := before[tok]; !ok {
			issued = append(issued, tok)
		}
	}
	if len(issued) != 2 {
		t.Fatalf("%d refresh tokens issued, want 2", len(issued))
	}
	rt := func(b *browser) string { return b.cookie("pc-auth", "/oauth-agent/logout") }
	out := e.browser(t).post("/logout", nil, cookieHeader("pc-auth", rt(other), "pc-auth", "garbage", "pc-auth", rt(victim)))
	if out.status != http.StatusOK || !sameSet(out.cleared(), []string{"pc-at", "pc-auth", "pc-auth", "pc-id", "pc-login"}) {
		t.Fatalf("logout: %d %s, cleared %v", out.status, out.body, out.cleared())
	}
	after := tokens()
	for i, tok := range issued {
		if !after[tok] {
			t.Errorf("refresh token %d not revoked", i)
		}
	}
}
