package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/guard"
)

// TestUsersAPI runs the API against a real Portcullis server, with tokens
// from its token endpoint, as the README's commands do.
func TestUsersAPI(t *testing.T) {
	issuer := authservertest.New(t)
	g, err := guard.New(t.Context(), guard.Options{
		Issuer: issuer.URL, Audience: authservertest.API, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	api := httptest.NewServer(Handler(g, SampleUsers))
	defer api.Close()

	list, read := issuer.Token(t, "list:users"), issuer.Token(t, "read:users")
	tests := []struct {
		name   string
		path   string
		token  string
		status int
		want   string
	}{
		{name: "list", path: "/users", token: list, status: 200, want: `[{"id":"1","name":"Ada Lovelace","email":"ada@example.com"},{"id":"2","name":"Alan Turing","email":"alan@example.com"}]`},
		{name: "read", path: "/users/2", token: read, status: 200, want: `{"id":"2","name":"Alan Turing","email":"alan@example.com"}`},
		{name: "read unknown", path: "/users/9", token: read, status: 404, want: `{"error":"not_found"}`},
		{name: "list without list:users", path: "/users", token: read, status: 403, want: `{"error":"insufficient_scope","error_description":"insufficient scope","scope":"list:users"}`},
		{name: "read without read:users", path: "/users/1", token: list, status: 403, want: `{"error":"insufficient_scope","error_description":"insufficient scope","scope":"read:users"}`},
		{name: "no token", path: "/users", status: 401, want: `{"error_description":"no bearer token"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, api.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !jsonEqual(t, body, tt.want) {
				t.Errorf("status %d body %s; want %d %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

func jsonEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
