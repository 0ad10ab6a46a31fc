package admin_test

import (
	"net/http"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/registration"
	"github.com/portcullis/portcullis/registry"
)

// preflight sends a browser's CORS preflight for POST /token from origin
// and returns the origin the server allows ("" for none).
func (e *testEnv) preflight(t *testing.T, origin string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, e.AS.URL+"/token", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Access-Control-Allow-Origin")
}

// A single-page app registered at run time, through the management API or
// dynamic registration, may call the token endpoint from its origin as
// soon as it is created, and no longer once it is deleted; other origins
// never may.
func TestStoredClientCORS(t *testing.T) {
	e := newEnv(t, envOptions{registration: true})
	tok := e.Token(t, "admin", "")
	cases := []struct {
		name, origin string
		// create registers the app and returns how to delete it.
		create func(t *testing.T, redirect string) (deletion call)
	}{
		{"management API", "https://spa-admin.example.com", func(t *testing.T, redirect string) call {
			a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: registry.Client{ClientID: "cors-spa",
				TokenEndpointAuthMethod: "none", GrantTypes: []string{"authorization_code", "refresh_token"}, RedirectURIs: []string{redirect}}})
			if a.status != http.StatusCreated {
				t.Fatalf("create: %d %s", a.status, a.body)
			}
			return call{method: "DELETE", path: admin.PathPrefix + "clients/cors-spa", token: tok}
		}},
		{"dynamic registration", "https://spa-dcr.example.com", func(t *testing.T, redirect string) call {
			a := e.do(t, call{method: "POST", path: registration.Path, token: tok, body: map[string]any{
				"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{redirect}}})
			var reg struct {
				ClientID                string `json:"client_id"`
				RegistrationAccessToken string `json:"registration_access_token"`
			}
			if a.status != http.StatusCreated {
				t.Fatalf("register: %d %s", a.status, a.body)
			}
			a.decode(t, &reg)
			return call{method: "DELETE", path: registration.Path + "/" + reg.ClientID, token: reg.RegistrationAccessToken}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := e.preflight(t, c.origin); got != "" {
				t.Fatalf("before the app exists its origin is allowed: %q", got)
			}
			deletion := c.create(t, c.origin+"/callback")
			if got := e.preflight(t, c.origin); got != c.origin {
				t.Errorf("the new app's origin gets Access-Control-Allow-Origin %q, want %q", got, c.origin)
			}
			if got := e.preflight(t, "https://elsewhere.example.com"); got != "" {
				t.Errorf("another origin is allowed: %q", got)
			}
			if a := e.do(t, deletion); a.status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", a.status, a.body)
			}
			if got := e.preflight(t, c.origin); got != "" {
				t.Errorf("the deleted app's origin is still allowed: %q", got)
			}
		})
	}
}
