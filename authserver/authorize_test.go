package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestAuthorizeErrors sends bad authorization requests. Those whose client
// or redirect URI cannot be trusted get an error page and never a redirect;
// the rest are redirected back with the error, the state and iss.
func TestAuthorizeErrors(t *testing.T) {
	as := authservertest.New(t)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	good := func() url.Values {
		return url.Values{"client_id": {as.WebClientID}, "redirect_uri": {as.RedirectURI}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	}
	with := func(edit func(url.Values)) url.Values { v := good(); edit(v); return v }
	tests := []struct {
		name      string
		params    url.Values
		wantPage  bool   // an error page, no redirect
		wantError string // the error in the redirect
	}{
		{"unknown client", with(func(v url.Values) { v.Set("client_id", "nobody") }), true, ""},
		{"no client", with(func(v url.Values) { v.Del("client_id") }), true, ""},
		{"client twice", with(func(v url.Values) { v.Add("client_id", as.WebClientID) }), true, ""},
		{"unregistered redirect", with(func(v url.Values) { v.Set("redirect_uri", as.RedirectURI+"/evil") }), true, ""},
		{"redirect differs by a slash", with(func(v url.Values) { v.Set("redirect_uri", as.RedirectURI+"/") }), true, ""},
		{"redirect twice", with(func(v url.Values) { v.Add("redirect_uri", as.RedirectURI) }), true, ""},
		{"OIDC without redirect_uri", with(func(v url.Values) { v.Del("redirect_uri") }), true, ""},
		{"no response_type", with(func(v url.Values) { v.Del("response_type") }), false, "invalid_request"},
		{"implicit", with(func(v url.Values) { v.Set("response_type", "token") }), false, "unsupported_response_type"},
		{"hybrid", with(func(v url.Values) { v.Set("response_type", "code id_token") }), false, "unsupported_response_type"},
		{"no PKCE", with(func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }), false, "invalid_request"},
		{"plain PKCE", with(func(v url.Values) { v.Set("code_challenge_method", "plain") }), false, "invalid_request"},
		{"PKCE method missing", with(func(v url.Values) { v.Del("code_challenge_method") }), false, "invalid_request"},
		{"short challenge", with(func(v url.Values) { v.Set("code_challenge", "abc") }), false, "invalid_request"},
		{"no scope", with(func(v url.Values) { v.Del("scope") }), false, "invalid_scope"},
		{"scope not allowed", with(func(v url.Values) { v.Set("scope", "openid write:users") }), false, "invalid_scope"},
		{"unknown resource", with(func(v url.Values) { v.Set("resource", "https://nope.example") }), false, "invalid_target"},
		{"resource without a requested scope", with(func(v url.Values) { v.Set("resource", authservertest.API) }), false, "invalid_target"},
		{"repeated state", with(func(v url.Values) { v.Add("state", "other") }), false, "invalid_request"},
		{"repeated scope", with(func(v url.Values) { v.Add("scope", "profile") }), false, "invalid_request"},
		{"prompt none with login", with(func(v url.Values) { v.Set("prompt", "none login") }), false, "invalid_request"},
		{"unknown prompt", with(func(v url.Values) { v.Set("prompt", "create") }), false, "invalid_request"},
		{"negative max_age", with(func(v url.Values) { v.Set("max_age", "-1") }), false, "invalid_request"},
		{"request object", with(func(v url.Values) { v.Set("request", "eyJ.x.y") }), false, "request_not_supported"},
		{"fragment response mode", with(func(v url.Values) { v.Set("response_mode", "fragment") }), false, "invalid_request"},
		{"huge nonce", with(func(v url.Values) { v.Set("nonce", strings.Repeat("n", 2000)) }), false, "invalid_request"},
		{"malformed dpop_jkt", with(func(v url.Values) { v.Set("dpop_jkt", "abc") }), false, "invalid_request"},
		{"dpop_jkt with padding", with(func(v url.Values) { v.Set("dpop_jkt", strings.Repeat("A", 42)+"=") }), false, "invalid_request"},
		{"empty dpop_jkt", with(func(v url.Values) { v.Set("dpop_jkt", "") }), false, "invalid_request"},
		{"client without the code grant", with(func(v url.Values) { v.Set("client_id", as.ClientID) }), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, as)
			p := b.get(as.URL + "/authorize?" + tt.params.Encode())
			if tt.wantPage {
				if p.status != http.StatusBadRequest || p.header.Get("Location") != "" || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
					t.Fatalf("got %d Location=%q, want a 400 page", p.status, p.header.Get("Location"))
				}
				return
			}
			u := p.location(t)
			if !strings.HasPrefix(u.String(), as.RedirectURI+"?") {
				t.Fatalf("redirected to %s", u)
			}
			q := u.Query()
			if q.Get("error") != tt.wantError || q.Get("error_description") == "" || q.Get("state") != "st" || q.Get("iss") != as.URL {
				t.Fatalf("error response %v, want error %s with state and iss", q, tt.wantError)
			}
		})
	}

	t.Run("POST works like GET", func(t *testing.T) {
		b := newBrowser(t, as)
		if p := b.post(as.URL+"/authorize", good()); p.status != http.StatusOK || !strings.Contains(p.body, `name="password"`) {
			t.Fatalf("POST /authorize: %d", p.status)
		}
	})
	t.Run("PUT is refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, as.URL+"/authorize", nil)
		resp, _ := http.DefaultClient.Do(req)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST" {
			t.Fatalf("PUT /authorize: %d %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}
