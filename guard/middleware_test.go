package guard_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/portcullis/portcullis/guard"
)

// TestChallenges checks the status, WWW-Authenticate header and JSON body
// of every answer RFC 6750 section 3 defines.
func TestChallenges(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.Realm = "users" })
	h := g.Middleware(g.RequireScopes("list:users", "read:users")(ok))
	tests := []struct {
		name          string
		authorization string
		status        int
		challenge     string
		body          map[string]string
	}{
		{
			name:          "scopes granted",
			authorization: "Bearer " + iss.Token("list:users read:users write:users"),
			status:        http.StatusOK,
		},
		{
			name:      "no token",
			status:    http.StatusUnauthorized,
			challenge: `Bearer realm="users"`,
			body:      map[string]string{"error_description": "no bearer token"},
		},
		{
			name:          "another scheme",
			authorization: "Basic dXNlcjpwYXNz",
			status:        http.StatusUnauthorized,
			challenge:     `Bearer realm="users"`,
			body:          map[string]string{"error_description": "no bearer token"},
		},
		{
			name:          "bearer without token",
			authorization: "Bearer",
			status:        http.StatusBadRequest,
			challenge:     `Bearer realm="users", error="invalid_request", error_description="malformed Authorization header"`,
			body:          map[string]string{"error": "invalid_request", "error_description": "malformed Authorization header"},
		},
		{
			name:          "bad token",
			authorization: "Bearer not-a-token",
			status:        http.StatusUnauthorized,
			challenge:     `Bearer realm="users", error="invalid_token", error_description="malformed token"`,
			body:          map[string]string{"error": "invalid_token", "error_description": "malformed token"},
		},
		{
			name:          "missing scope",
			authorization: "Bearer " + iss.Token("list:users"),
			status:        http.StatusForbidden,
			challenge:     `Bearer realm="users", error="insufficient_scope", error_description="insufficient scope", scope="list:users read:users"`,
			body:          map[string]string{"error": "insufficient_scope", "error_description": "insufficient scope", "scope": "list:users read:users"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.authorization)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.status == http.StatusOK {
				if w.Body.String() != "user-1" {
					t.Errorf("handler saw caller %q", w.Body)
				}
				return
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate:\n got %s\nwant %s", got, tt.challenge)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if len(body) != len(tt.body) {
				t.Errorf("body %v, want %v", body, tt.body)
			}
			for k, v := range tt.body {
				if body[k] != v {
					t.Errorf("body[%s] = %q, want %q", k, body[k], v)
				}
			}
		})
	}
}

// TestRequireScopesWithoutMiddleware checks that a scope check wired
// without the middleware fails closed.
func TestRequireScopesWithoutMiddleware(t *testing.T) {
	g := newGuard(t, newIssuer(t).URL)
	w := serve(g.RequireScopes("list:users")(ok), "")
	if w.Code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", w.Code)
	}
}

func TestRequireScopesPanicsOnInvalidScope(t *testing.T) {
	g := newGuard(t, newIssuer(t).URL)
	for _, scope := range []string{"", "a b", `a"b`, `a\b`, "é"} {
		t.Run(scope, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RequireScopes(%q) did not panic", scope)
				}
			}()
			g.RequireScopes(scope)
		})
	}
}
