package agent_test

import (
	"net/http"
	"testing"
)

// appURL is where the app of the minimal provider's tests lives; nothing
// listens there, since the test browser stops at the redirect.
const appURL = "http://127.0.0.1:3000/"

// TestMinimalProvider runs every endpoint against a provider without PAR,
// without iss in its responses, with client_secret_post only, opaque
// access tokens and no end-session endpoint.
func TestMinimalProvider(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)

	authURL := b.start(map[string]string{"ui_locales": "fr", "login_hint": "alice@example.com"})
	q := mustParse(t, authURL).Query()
	if q.Get("ui_locales") != "fr" || q.Get("login_hint") != "alice@example.com" || q.Get("state") == "" || q.Get("nonce") == "" || q.Has("request_uri") {
		t.Fatalf("authorization request URL %s", authURL)
	}
	page := b.landing(authURL, "", "")
	if mustParse(t, page).Query().Has("iss") {
		t.Fatalf("the minimal provider sent iss: %s", page)
	}
	s := b.end(page)
	if !s.Handled || !s.IsLoggedIn || s.ExpiresIn == nil || *s.ExpiresIn != 300 {
		t.Fatalf("/login/end: %+v", s)
	}
	// An opaque access token has no exp to read.
	if s := b.end(appURL); s.Handled || !s.IsLoggedIn || s.ExpiresIn != nil {
		t.Errorf("page load: %+v", s)
	}
	var claims, info map[string]any
	if a := b.get("/claims"); a.status != http.StatusOK {
		t.Fatalf("claims: %d %s", a.status, a.body)
	} else if a.decode(t, &claims); claims["name"] != "Alice Example" {
		t.Errorf("claims %s", a.body)
	}
	if a := b.get("/userInfo"); a.status != http.StatusOK {
		t.Fatalf("userInfo: %d %s", a.status, a.body)
	} else if a.decode(t, &info); info["locale"] != "en" {
		t.Errorf("userInfo %s", a.body)
	}
	id := b.cookie("pc-id", "/oauth-agent")
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	if b.cookie("pc-id", "/oauth-agent") == id {
		t.Error("the refreshed ID token was not stored")
	}
	if a := b.get("/userInfo"); a.status != http.StatusOK {
		t.Errorf("userInfo after refresh: %d %s", a.status, a.body)
	}
	a := b.post("/logout", nil)
	var out struct {
		URL string `json:"url"`
	}
	a.decode(t, &out)
	if a.status != http.StatusOK || out.URL != cfg.PostLogoutRedirectURI {
		t.Errorf("logout without an end-session endpoint: %d %s", a.status, a.body)
	}
	if a := b.get("/userInfo"); a.status != http.StatusUnauthorized || a.code(t) != "no_session" {
		t.Errorf("userInfo after logout: %d %s", a.status, a.body)
	}
}
