package registration_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// oauthError decodes an OAuth error answer.
func oauthError(t testing.TB, a admintest.Answer) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(a.Body, &e)
	return e.Error
}

// A service registers itself with a one-time initial access token, gets
// tokens with golang.org/x/oauth2/clientcredentials at once, then reads,
// updates and deletes its registration with its registration access
// token (RFC 7591, RFC 7592).
func TestRegisterWithOneTimeToken(t *testing.T) {
	e := admintest.New(t, admintest.Options{Registration: true})
	service := map[string]any{"client_name": "Batch", "grant_types": []string{"client_credentials"}, "scope": "read:users list:users",
		"software_id": "ignored: RFC 7591 says unknown metadata is ignored"}
	a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: e.InitialTokens[0], Body: service})
	var reg registry.RegistrationResponse
	a.Decode(t, &reg)
	if a.Status != http.StatusCreated || reg.ClientID == "" || len(reg.ClientSecret) != 43 || reg.ClientSecretExpiresAt == nil || *reg.ClientSecretExpiresAt != 0 ||
		reg.ClientIDIssuedAt == 0 || reg.RegistrationAccessToken == "" || reg.RegistrationClientURI != e.AS.URL+"/register/"+reg.ClientID || reg.Scope != "read:users list:users" {
		t.Fatalf("register: %d %s", a.Status, a.Body)
	}
	cc := clientcredentials.Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, TokenURL: e.AS.URL + "/token", Scopes: []string{"read:users"}}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("token for the registered client: %v", err)
	}
	// Only the digest of the registration access token is kept.
	if sc := e.StoredClient(t, reg.ClientID); len(sc.RegistrationTokenHash) != 32 || strings.Contains(string(sc.RegistrationTokenHash), reg.RegistrationAccessToken) {
		t.Fatal("the registration access token's digest is not stored")
	}
	// The one-time token is spent.
	if a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: e.InitialTokens[0], Body: service}); a.Status != http.StatusUnauthorized || oauthError(t, a) != "invalid_token" {
		t.Fatalf("register again with a spent token: %d %s", a.Status, a.Body)
	}

	path := "/register/" + reg.ClientID
	r := e.Do(t, admintest.Call{Method: "GET", Path: path, Token: reg.RegistrationAccessToken})
	var read registry.RegistrationResponse
	r.Decode(t, &read)
	if r.Status != http.StatusOK || read.ClientName != "Batch" || read.ClientSecret != "" || read.RegistrationAccessToken != reg.RegistrationAccessToken {
		t.Fatalf("read: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{"", reg.ClientSecret, e.InitialTokens[1], e.Token(t, "admin", "")} {
		if a := e.Do(t, admintest.Call{Method: "GET", Path: path, Token: bad}); a.Status != http.StatusUnauthorized || !strings.HasPrefix(a.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("read with another token: %d %s", a.Status, a.Body)
		}
	}
	if a := e.Do(t, admintest.Call{Method: "GET", Path: "/register/nobody", Token: reg.RegistrationAccessToken}); a.Status != http.StatusUnauthorized {
		t.Errorf("read another client with the token: %d", a.Status)
	}

	update := map[string]any{"client_id": reg.ClientID, "client_secret": reg.ClientSecret, "client_name": "Batch 2",
		"grant_types": []string{"client_credentials"}, "scope": "read:users"}
	u := e.Do(t, admintest.Call{Method: "PUT", Path: path, Token: reg.RegistrationAccessToken, Body: update})
	var upd registry.RegistrationResponse
	u.Decode(t, &upd)
	if u.Status != http.StatusOK || upd.ClientName != "Batch 2" || upd.Scope != "read:users" {
		t.Fatalf("update: %d %s", u.Status, u.Body)
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
		if a := e.Do(t, admintest.Call{Method: "PUT", Path: path, Token: reg.RegistrationAccessToken, Body: body}); a.Status != http.StatusBadRequest || oauthError(t, a) != "invalid_client_metadata" {
			t.Errorf("update with %s: %d %s", c.name, a.Status, a.Body)
		}
	}

	if d := e.Do(t, admintest.Call{Method: "DELETE", Path: path, Token: reg.RegistrationAccessToken}); d.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", d.Status, d.Body)
	}
	if r := e.Do(t, admintest.Call{Method: "GET", Path: path, Token: reg.RegistrationAccessToken}); r.Status != http.StatusUnauthorized {
		t.Fatalf("read after delete: %d", r.Status)
	}
	if _, err := cc.Token(context.Background()); err == nil {
		t.Fatal("a deleted registration still gets tokens")
	}
}

// An access token of the management API with admin:clients:write is an
// initial access token too; the registered web client follows the
// redirect URI rules of configured clients and is listed as stored.
func TestRegisterWithAdminToken(t *testing.T) {
	e := admintest.New(t, admintest.Options{Registration: true})
	tok := e.Token(t, "admin", registry.ScopeClientsWrite)
	web := map[string]any{"client_name": "Web", "redirect_uris": []string{"https://app.example.com/cb"}, "scope": "openid profile",
		"response_types": []string{"code"}}
	a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: tok, Body: web})
	var reg registry.RegistrationResponse
	a.Decode(t, &reg)
	if a.Status != http.StatusCreated || len(reg.GrantTypes) != 1 || reg.GrantTypes[0] != "authorization_code" || reg.ClientSecret == "" {
		t.Fatalf("register: %d %s", a.Status, a.Body)
	}
	events, err := e.AS.Store.ListAudit(context.Background(), store.AuditFilter{ClientID: reg.ClientID, Limit: 10})
	if err != nil || len(events) != 1 || events[0].Detail["actor_client_id"] != "admin" || events[0].Detail["initial_access"] != "access token" {
		t.Fatalf("the registration's audit event: %v %+v", err, events)
	}
	var c registry.ClientInfo
	e.Do(t, admintest.Call{Method: "GET", Path: admin.PathPrefix + "clients/" + reg.ClientID, Token: e.Token(t, "admin", "")}).Decode(t, &c)
	if c.Source != registry.SourceStore || c.RedirectURIs[0] != "https://app.example.com/cb" {
		t.Fatalf("the registered client reads %+v", c)
	}
	public := map[string]any{"token_endpoint_auth_method": "none", "application_type": "native", "redirect_uris": []string{"http://127.0.0.1/cb"}}
	a = e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: tok, Body: public})
	reg = registry.RegistrationResponse{}
	a.Decode(t, &reg)
	if a.Status != http.StatusCreated || reg.ClientSecret != "" || reg.ClientSecretExpiresAt != nil {
		t.Fatalf("register a native public client: %d %s", a.Status, a.Body)
	}
}

// Registration is refused without a valid initial access token, and bad
// metadata answers RFC 7591's errors without spending a one-time token.
func TestRegisterRefused(t *testing.T) {
	e := admintest.New(t, admintest.Options{Registration: true})
	ok := map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}}
	for _, c := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", http.StatusUnauthorized, ""},
		{"a wrong token", "not-a-token", http.StatusUnauthorized, "invalid_token"},
		{"a token without admin:clients:write", e.Token(t, "reader", ""), http.StatusForbidden, "insufficient_scope"},
		{"a token of another API", e.AS.Token(t, ""), http.StatusUnauthorized, "invalid_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: c.token, Body: ok})
			ch := a.Header.Get("WWW-Authenticate")
			if a.Status != c.status || !strings.HasPrefix(ch, "Bearer") || (c.code != "" && !strings.Contains(ch, `error="`+c.code+`"`)) {
				t.Errorf("%d %q %s", a.Status, ch, a.Body)
			}
			if c.code == "insufficient_scope" && !strings.Contains(ch, `scope="`+registry.ScopeClientsWrite+`"`) {
				t.Errorf("the challenge does not name %s: %q", registry.ScopeClientsWrite, ch)
			}
		})
	}
	tok := e.InitialTokens[1]
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"an http redirect URI", map[string]any{"redirect_uris": []string{"http://app.example.com/cb"}}, "invalid_redirect_uri"},
		{"no redirect URI for code", map[string]any{"client_name": "x"}, "invalid_redirect_uri"},
		{"an admin scope", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "scope": registry.ScopeUsersWrite}, "invalid_client_metadata"},
		{"an API scope a one-time token may not register", map[string]any{"grant_types": []string{"client_credentials"}, "scope": "write:users"}, "invalid_client_metadata"},
		{"a response type", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "response_types": []string{"token"}}, "invalid_client_metadata"},
		{"a bad auth method", map[string]any{"redirect_uris": []string{"https://a.example.com/cb"}, "token_endpoint_auth_method": "magic"}, "invalid_client_metadata"},
		{"scope as an array", `{"redirect_uris": ["https://a.example.com/cb"], "scope": ["openid"]}`, "invalid_client_metadata"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: tok, Body: c.body})
			if a.Status != http.StatusBadRequest || oauthError(t, a) != c.code {
				t.Errorf("%d %s, want 400 %s", a.Status, a.Body, c.code)
			}
		})
	}
	if a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: tok, Body: "{}", ContentType: "text/plain"}); a.Status != http.StatusUnsupportedMediaType {
		t.Errorf("wrong content type: %d %s", a.Status, a.Body)
	}
	// Refused requests did not spend the token.
	if a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: tok, Body: ok}); a.Status != http.StatusCreated {
		t.Fatalf("register after refused requests: %d %s", a.Status, a.Body)
	}
	// Discovery advertises the endpoint.
	resp, err := http.Get(e.AS.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	json.NewDecoder(resp.Body).Decode(&md)
	if md["registration_endpoint"] != e.AS.URL+"/register" {
		t.Errorf("registration_endpoint %v", md["registration_endpoint"])
	}
}

// Concurrent registrations with one one-time token leave exactly one
// client: every other one is refused, and the client it stored removed.
func TestRegisterOneTimeTokenRace(t *testing.T) {
	e := admintest.New(t, admintest.Options{Registration: true})
	before, err := e.AS.Store.ListClients(context.Background())
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
			a := e.Do(t, admintest.Call{Method: "POST", Path: "/register", Token: e.InitialTokens[0],
				Body: map[string]any{"redirect_uris": []string{"https://race.example.com/cb"}}})
			status <- a.Status
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
	after, err := e.AS.Store.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(after) != len(before)+1 {
		t.Fatalf("%d registrations won and %d clients were added; want one of each", won, len(after)-len(before))
	}
}
