package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// oauthError decodes an OAuth error answer.
func oauthError(t testing.TB, a answer) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(a.body, &e)
	return e.Error
}

// A service registers itself with a one-time initial access token, gets
// tokens with golang.org/x/oauth2/clientcredentials at once, then reads,
// updates and deletes its registration with its registration access
// token (RFC 7591, RFC 7592).
func TestRegisterWithOneTimeToken(t *testing.T) {
	e := newEnv(t, envOptions{registration: true})
	service := map[string]any{"client_name": "Batch", "grant_types": []string{"client_credentials"}, "scope": "read:users list:users",
		"software_id": "ignored: RFC 7591 says unknown metadata is ignored"}
	a := e.do(t, call{method: "POST", path: "/register", token: e.initialTokens[0], body: service})
	var reg registry.RegistrationResponse
	a.decode(t, &reg)
	if a.status != http.StatusCreated || reg.ClientID == "" || len(reg.ClientSecret) != 43 || reg.ClientSecretExpiresAt == nil || *reg.ClientSecretExpiresAt != 0 ||
		reg.ClientIDIssuedAt == 0 || reg.RegistrationAccessToken == "" || reg.RegistrationClientURI != e.as.URL+"/register/"+reg.ClientID || reg.Scope != "read:users list:users" {
		t.Fatalf("register: %d %s", a.status, a.body)
	}
	cc := clientcredentials.Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, TokenURL: e.as.URL + "/token", Scopes: []string{"read:users"}}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("token for the registered client: %v", err)
	}
	// Only the digest of the registration access token is kept.
	if sc := e.storedClient(t, reg.ClientID); len(sc.RegistrationTokenHash) != 32 || strings.Contains(string(sc.RegistrationTokenHash), reg.RegistrationAccessToken) {
		t.Fatal("the registration access token's digest is not stored")
	}
	// The one-time token is spent.
	if a := e.do(t, call{method: "POST", path: "/register", token: e.initialTokens[0], body: service}); a.status != http.StatusUnauthorized || oauthError(t, a) != "invalid_token" {
		t.Fatalf("register again with a spent token: %d %s", a.status, a.body)
	}

	path := "/register/" + reg.ClientID
	r := e.do(t, call{method: "GET", path: path, token: reg.RegistrationAccessToken})
	var read registry.RegistrationResponse
	r.decode(t, &read)
	if r.status != http.StatusOK || read.ClientName != "Batch" || read.ClientSecret != "" || read.RegistrationAccessToken != reg.RegistrationAccessToken {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"", reg.ClientSecret, e.initialTokens[1], e.token(t, "admin", "")} {
		if a := e.do(t, call{method: "GET", path: path, token: bad}); a.status != http.StatusUnauthorized || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("read with another token: %d %s", a.status, a.body)
		}
	}
	if a := e.do(t, call{method: "GET", path: "/register/nobody", token: reg.RegistrationAccessToken}); a.status != http.StatusUnauthorized {
		t.Errorf("read another client with the token: %d", a.status)
	}

	update := map[string]any{"client_id": reg.ClientID, "client_secret": reg.ClientSecret, "client_name": "Batch 2",
		"grant_types": []string{"client_credentials"}, "scope": "read:users"}
	u := e.do(t, call{method: "PUT", path: path, token: reg.RegistrationAccessToken, body: update})
	var upd registry.RegistrationResponse
	u.decode(t, &upd)
	if u.status != http.StatusOK || upd.ClientName != "Batch 2" || upd.Scope != "read:users" {
		t.Fatalf("update: %d %s", u.status, u.body)
	}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("the secret does not survive an update: %v", err)
	}
	for _, c := range []struct {
		name string
		mod  func(map[string]any)
	}{
		{"another client_id", func(m map[string]any) { m["client_id"] = "other" }},
		{"a wrong secret", func(m map[string]any) { m["client_secret"] = strings.Repeat("s", 43) }},
		{"an unknown scope", func(m map[string]any) { m["scope"] = "nope" }},
	} {
		body := map[string]any{}
		for k, v := range update {
			body[k] = v
		}
		c.mod(body)
		if a := e.do(t, call{method: "PUT", path: path, token: reg.RegistrationAccessToken, body: body}); a.status != http.StatusBadRequest || oauthError(t, a) != "invalid_client_metadata" {
			t.Errorf("update with %s: %d %s", c.name, a.status, a.body)
		}
	}

	if d := e.do(t, call{method: "DELETE", path: path, token: reg.RegistrationAccessToken}); d.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	if r := e.do(t, call{method: "GET", path: path, token: reg.RegistrationAccessToken}); r.status != http.StatusUnauthorized {
		t.Fatalf("read after delete: %d", r.status)
	}
	if _, err := cc.Token(context.Background()); err == nil {
		t.Fatal("a deleted registration still gets tokens")
	}
}

// An access token of the management API with admin:clients:write is an
// initial access token too; the registered web client follows the
// redirect URI rules of configured clients and is listed as stored.
func TestRegisterWithAdminToken(t *testing.T) {
	e := newEnv(t, envOptions{registration: true})
	tok := e.token(t, "admin", admin.ScopeClientsWrite)
	web := map[string]any{"client_name": "Web", "redirect_uris": []string{"https://app.example.com/cb"}, "scope": "openid profile",
		"response_types": []string{"code"}}
	a := e.do(t, call{method: "POST", path: "/register", token: tok, body: web})
	var reg registry.RegistrationResponse
	a.decode(t, &reg)
	if a.status != http.StatusCreated || len(reg.GrantTypes) != 1 || reg.GrantTypes[0] != "authorization_code" || reg.ClientSecret == "" {
		t.Fatalf("register: %d %s", a.status, a.body)
	}
	events, err := e.as.Store.ListAudit(context.Background(), store.AuditFilter{ClientID: reg.ClientID, Limit: 10})
	if err != nil || len(events) != 1 || events[0].Detail["actor_client_id"] != "admin" || events[0].Detail["initial_access"] != "access token" {
		t.Fatalf("the registration's audit event: %v %+v", err, events)
	}
	var c registry.ClientInfo
	e.do(t, call{method: "GET", path: admin.PathPrefix + "clients/" + reg.ClientID, token: e.token(t, "admin", "")}).decode(t, &c)
	if c.Source != registry.SourceStore || c.RedirectURIs[0] != "https://app.example.com/cb" {
		t.Fatalf("the registered client reads %+v", c)
	}
	public := map[string]any{"token_endpoint_auth_method": "none", "application_type": "native", "redirect_uris": []string{"http://127.0.0.1/cb"}}
	a = e.do(t, call{method: "POST", path: "/register", token: tok, body: public})
	reg = registry.RegistrationResponse{}
	a.decode(t, &reg)
	if a.status != http.StatusCreated || reg.ClientSecret != "" || reg.ClientSecretExpiresAt != nil {
		t.Fatalf("register a native public client: %d %s", a.status, a.body)
	}
}

// Registration is refused without a valid initial access token, and bad
// metadata answers RFC 7591's errors without spending a one-time token.
func TestRegisterRefused(t *testing.T) {
	e := newEnv(t, envOptions{registration: true})
	ok := map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}}
	for _, c := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", http.StatusUnauthorized, ""},
		{"a wrong token", "not-a-token", http.StatusUnauthorized, "invalid_token"},
		{"a token without admin:clients:write", e.token(t, "reader", ""), http.StatusForbidden, "insufficient_scope"},
		{"a token of another API", e.as.Token(t, ""), http.StatusUnauthorized, "invalid_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(t, call{method: "POST", path: "/register", token: c.token, body: ok})
			ch := a.header.Get("WWW-Authenticate")
			if a.status != c.status || !strings.HasPrefix(ch, "Bearer") || (c.code != "" && !strings.Contains(ch, `error="`+c.code+`"`)) {
				t.Errorf("%d %q %s", a.status, ch, a.body)
			}
			if c.code == "insufficient_scope" && !strings.Contains(ch, `scope="`+admin.ScopeClientsWrite+`"`) {
				t.Errorf("the challenge does not name %s: %q", admin.ScopeClientsWrite, ch)
			}
		})
	}
	tok := e.initialTokens[1]
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"an http redirect URI", map[string]any{"redirect_uris": []string{"http://app.example.com/cb"}}, "invalid_redirect_uri"},
		{"no redirect URI for code", map[string]any{"client_name": "x"}, "invalid_redirect_uri"},
		{"an admin scope", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "scope": admin.ScopeUsersWrite}, "invalid_client_metadata"},
		{"an API scope a one-time token may not register", map[string]any{"grant_types": []string{"client_credentials"}, "scope": "write:users"}, "invalid_client_metadata"},
		{"a response type", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "response_types": []string{"token"}}, "invalid_client_metadata"},
		{"a bad auth method", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "magic"}, "invalid_client_metadata"},
		{"scope as an array", `{"redirect_uris": ["https://a.example.com/cb"], "scope": ["openid"]}`, "invalid_client_metadata"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(t, call{method: "POST", path: "/register", token: tok, body: c.body})
			if a.status != http.StatusBadRequest || oauthError(t, a) != c.code {
				t.Errorf("%d %s, want 400 %s", a.status, a.body, c.code)
			}
		})
	}
	if a := e.do(t, call{method: "POST", path: "/register", token: tok, body: "{}", contentType: "text/plain"}); a.status != http.StatusUnsupportedMediaType {
		t.Errorf("wrong content type: %d %s", a.status, a.body)
	}
	// Refused requests did not spend the token.
	if a := e.do(t, call{method: "POST", path: "/register", token: tok, body: ok}); a.status != http.StatusCreated {
		t.Fatalf("register after refused requests: %d %s", a.status, a.body)
	}
	// Discovery advertises the endpoint.
	resp, err := http.Get(e.as.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	json.NewDecoder(resp.Body).Decode(&md)
	if md["registration_endpoint"] != e.as.URL+"/register" {
		t.Errorf("registration_endpoint %v", md["registration_endpoint"])
	}
}

// Concurrent registrations with one one-time token leave exactly one
// client: every other one is refused, and the client it stored removed.
func TestRegisterOneTimeTokenRace(t *testing.T) {
	e := newEnv(t, envOptions{registration: true})
	before, err := e.as.Store.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	status := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := e.do(t, call{method: "POST", path: "/register", token: e.initialTokens[0],
				body: map[string]any{"redirect_uris": []string{"https://race.example.com/cb"}}})
			status <- a.status
		}()
	}
	wg.Wait()
	close(status)
	won := 0
	for s := range status {
		switch s {
		case http.StatusCreated:
			won++
		case http.StatusUnauthorized:
		default:
			t.Errorf("status %d, want 201 or 401", s)
		}
	}
	after, err := e.as.Store.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(after) != len(before)+1 {
		t.Fatalf("%d registrations won and %d clients were added; want one of each", won, len(after)-len(before))
	}
}
