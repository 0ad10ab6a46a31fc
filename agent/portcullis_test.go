package agent_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestPortcullis signs in, uses every endpoint and signs out against the
// real authorization server, which pushes requests (PAR) and sends iss.
func TestPortcullis(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)

	if s := b.end(as.App.URL + "/"); s.Handled || s.IsLoggedIn {
		t.Fatalf("before sign-in: %+v", s)
	}
	if a := b.post("/login/end", nil); a.status != http.StatusOK || string(a.body) != "{\"handled\":false,\"isLoggedIn\":false}\n" {
		t.Fatalf("without a body: %d %s", a.status, a.body)
	}
	authURL := b.start(map[string]string{"ui_locales": "fr"})
	q := mustParse(t, authURL).Query()
	if !strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:") || q.Has("state") || q.Has("code_challenge") || q.Get("client_id") != as.WebClientID {
		t.Fatalf("the request was not pushed: %s", authURL)
	}
	page := b.landing(authURL, as.Username, as.Password)
	if got := mustParse(t, page).Query().Get("iss"); got != as.URL {
		t.Fatalf("landing without iss: %s", page)
	}
	a := b.post("/login/end", map[string]string{"pageUrl": page})
	var s loginState
	a.decode(t, &s)
	if a.status != http.StatusOK || !s.Handled || !s.IsLoggedIn || s.ExpiresIn == nil || *s.ExpiresIn != 3600 {
		t.Fatalf("/login/end: %d %s", a.status, a.body)
	}
	checkSessionCookies(t, a, false)

	t.Run("reload of the callback page", func(t *testing.T) {
		if a := b.post("/login/end", map[string]string{"pageUrl": page}); a.status != http.StatusBadRequest || a.code(t) != "invalid_state" {
			t.Errorf("replayed response: %d %s", a.status, a.body)
		}
	})
	t.Run("ordinary page load", func(t *testing.T) {
		s := b.end(as.App.URL + "/orders?tab=2")
		if s.Handled || !s.IsLoggedIn || s.ExpiresIn == nil || *s.ExpiresIn <= 0 || *s.ExpiresIn > 3600 {
			t.Errorf("%+v", s)
		}
	})
	t.Run("claims", func(t *testing.T) {
		var c map[string]any
		a := b.get("/claims")
		a.decode(t, &c)
		if a.status != http.StatusOK || c["name"] != "Demo User" || c["aud"] != as.WebClientID || c["nonce"] == nil {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
	t.Run("userInfo", func(t *testing.T) {
		var c map[string]any
		a := b.get("/userInfo")
		a.decode(t, &c)
		if a.status != http.StatusOK || c["email"] != "demo@example.com" || c["sub"] == nil {
			t.Errorf("%d %s", a.status, a.body)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		at, rt := b.cookie("pc-at", "/"), b.cookie("pc-auth", "/oauth-agent/refresh")
		a := b.post("/refresh", nil)
		if a.status != http.StatusNoContent || len(a.cleared()) > 0 {
			t.Fatalf("%d %s, cleared %v", a.status, a.body, a.cleared())
		}
		if b.cookie("pc-at", "/") == at || b.cookie("pc-auth", "/oauth-agent/refresh") == rt {
			t.Error("refresh did not replace the tokens")
		}
		if a := b.get("/userInfo"); a.status != http.StatusOK {
			t.Errorf("userInfo after refresh: %d %s", a.status, a.body)
		}
	})
	t.Run("logout", func(t *testing.T) {
		refreshCookie := b.cookie("pc-auth", "/oauth-agent/refresh")
		accessCookie := b.cookie("pc-at", "/")
		a := b.post("/logout", nil)
		var out struct {
			URL string `json:"url"`
		}
		a.decode(t, &out)
		u := mustParse(t, out.URL)
		q := u.Query()
		if a.status != http.StatusOK || u.Path != "/logout" || q.Get("client_id") != as.WebClientID ||
			q.Get("post_logout_redirect_uri") != as.App.URL+"/" {
			t.Fatalf("%d %s", a.status, a.body)
		}
		// The URL goes through the app's JavaScript: no ID token in it
		// (every JWT starts with eyJ).
		if q.Has("id_token_hint") || strings.Contains(string(a.body), "eyJ") {
			t.Errorf("the logout answer carries the ID token: %s", a.body)
		}
		want := []string{"pc-at", "pc-auth", "pc-auth", "pc-id", "pc-login"}
		if got := a.cleared(); !sameSet(got, want) {
			t.Errorf("cleared %v, want %v", got, want)
		}
		// A deletion only works with the path the cookie was set with.
		paths := map[string]bool{"pc-at /": true, "pc-auth /oauth-agent/refresh": true, "pc-auth /oauth-agent/logout": true,
			"pc-id /oauth-agent": true, "pc-login /": true}
		for _, c := range (&http.Response{Header: a.header}).Cookies() {
			if !paths[c.Name+" "+c.Path] || c.Domain != "" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("deletion of %s: path %q, domain %q", c.Name, c.Path, c.Domain)
			}
		}
		// Without a hint, the provider asks the user to confirm, then ends
		// its session and returns to the app.
		b.redirect = as.App.URL + "/"
		page := b.do(http.MethodGet, out.URL, nil)
		if page.status != http.StatusOK || !strings.Contains(string(page.body), `name="confirm"`) {
			t.Fatalf("end session: %d %.300s", page.status, page.body)
		}
		form := authservertest.HiddenFields(string(page.body))
		form.Set("confirm", "yes")
		end := b.do(http.MethodPost, u.Scheme+"://"+u.Host+"/logout", nil, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(form.Encode()))
			r.ContentLength = int64(len(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		})
		if end.status != http.StatusSeeOther || end.header.Get("Location") != as.App.URL+"/" {
			t.Errorf("end session: %d %s", end.status, end.header.Get("Location"))
		}
		if a := b.get("/claims"); a.status != http.StatusUnauthorized || a.code(t) != "no_session" {
			t.Errorf("claims after logout: %d %s", a.status, a.body)
		}
		if s := b.end(as.App.URL + "/"); s.IsLoggedIn {
			t.Error("still signed in")
		}
		// The agent revoked the refresh token (RFC 7009): ending the
		// provider's session alone would have left it, an offline_access
		// one, alive. A copy kept from before the logout is refused.
		b.setCookie("pc-auth", "/oauth-agent/refresh", refreshCookie)
		b.setCookie("pc-at", "/", accessCookie)
		if a := b.post("/refresh", nil); a.status != http.StatusUnauthorized || a.code(t) != "session_expired" {
			t.Errorf("refresh token kept from before logout: %d %s", a.status, a.body)
		}
	})
}

// checkSessionCookies checks the attributes of the cookies an answer sets.
func checkSessionCookies(t *testing.T, a answer, secure bool) {
	t.Helper()
	paths := map[string]bool{"pc-at /": true, "pc-auth /oauth-agent/refresh": true, "pc-auth /oauth-agent/logout": true, "pc-id /oauth-agent": true}
	found := 0
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.MaxAge < 0 || !slices.Contains([]string{"pc-at", "pc-auth", "pc-id"}, c.Name) {
			continue
		}
		found++
		if !paths[c.Name+" "+c.Path] || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != secure || c.Domain != "" || c.MaxAge != 0 {
			t.Errorf("cookie %s: path %q, HttpOnly %v, SameSite %v, Secure %v, Domain %q, MaxAge %d", c.Name, c.Path, c.HttpOnly, c.SameSite, c.Secure, c.Domain, c.MaxAge)
		}
	}
	if found != len(paths) {
		t.Errorf("%d session cookies set, want %d: %v", found, len(paths), a.header.Values("Set-Cookie"))
	}
}

// TestSecureCookies: cookies are Secure as soon as one trusted origin is
// not loopback http, whether or not the agent itself serves TLS.
func TestSecureCookies(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	cfg.TrustedWebOrigins = append(cfg.TrustedWebOrigins, "https://app.example.com")
	base, _ := startAgent(t, cfg)
	a := newBrowser(t, base, cfg).post("/login/start", nil)
	c := (&http.Response{Header: a.header}).Cookies()
	if a.status != http.StatusOK || len(c) != 1 || c[0].Name != "__Host-pc-login" || !c[0].Secure || c[0].Path != "/" || c[0].MaxAge != 600 {
		t.Fatalf("%d %v", a.status, a.header.Values("Set-Cookie"))
	}
}

// TestTwoTabs: logins started in two tabs of one browser both finish, in
// either order; a login pushed out by newer ones does not.
func TestTwoTabs(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	first, second := b.start(), b.start()
	pageSecond := b.landing(second, as.Username, as.Password)
	pageFirst := b.landing(first, as.Username, as.Password) // signed in: no login page
	if s := b.end(pageSecond); !s.Handled || !s.IsLoggedIn {
		t.Errorf("second tab: %+v", s)
	}
	if s := b.end(pageFirst); !s.Handled || !s.IsLoggedIn {
		t.Errorf("first tab: %+v", s)
	}
	// Four more logins push the oldest of five out.
	oldest := b.start()
	for range 4 {
		b.start()
	}
	page := b.landing(oldest, as.Username, as.Password)
	if a := b.post("/login/end", map[string]string{"pageUrl": page}); a.status != http.StatusBadRequest || a.code(t) != "invalid_state" {
		t.Errorf("evicted login: %d %s", a.status, a.body)
	}
}

// TestLoginRequired: prompt=none through extraParams, for a browser
// without a session at the provider, ends in 401 login_required.
func TestLoginRequired(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	page := b.landing(b.start(map[string]string{"prompt": "none"}), "", "")
	a := b.post("/login/end", map[string]string{"pageUrl": page})
	if a.status != http.StatusUnauthorized || a.code(t) != "login_required" {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got := a.cleared(); !slices.Equal(got, []string{"pc-login"}) {
		t.Errorf("cleared %v: the finished login must go", got)
	}
}

func mustParse(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
