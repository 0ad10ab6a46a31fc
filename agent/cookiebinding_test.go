package agent_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/agent"
)

// legacySeal encrypts value in the Curity layout the agent wrote before
// cookies were bound to their names, from the published format alone:
// base64url(1 ‖ nonce ‖ AES-256-GCM(value) ‖ tag), no associated data.
func legacySeal(t testing.TB, keyHex, value string) string {
	t.Helper()
	key, _ := hex.DecodeString(keyHex)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(append([]byte{1}, nonce...), nonce, []byte(value), nil))
}

// cookieHeader joins name=value pairs into a Cookie header.
func cookieHeader(pairs ...string) func(*http.Request) {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+"="+pairs[i+1])
	}
	return setHeader("Cookie", strings.Join(parts, "; "))
}

// TestCookiePlanting: cookies set by another host of the domain (cookie
// tossing) beside the agent's, or taken from another login, or sealed for
// another cookie, are refused. Duplicates and mixed logins are 403
// conflicting_cookies and delete nothing, since the planted copy would
// outlive the deletion and be used alone.
func TestCookiePlanting(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	e := &badEnv{op: op, cfg: cfg, base: base}
	victim, attacker := e.signedIn(t), e.signedIn(t)
	// The attacker's login cookie, from a login of their own.
	attacker.start()
	cookie := func(b *browser, name string) string {
		paths := map[string]string{"pc-at": "/", "pc-auth": "/oauth-agent/refresh", "pc-id": "/oauth-agent", "pc-login": "/"}
		v := b.cookie(name, paths[name])
		if v == "" {
			t.Fatalf("no cookie %s", name)
		}
		return v
	}
	v := func(name string) string { return cookie(victim, name) }
	a := func(name string) string { return cookie(attacker, name) }
	// victimLogin starts a login and returns the page it lands on and
	// its login cookie.
	victimLogin := func() (string, string) {
		b := e.browser(t)
		page := b.landing(b.start(), "", "")
		return page, b.cookie("pc-login", "/")
	}

	tests := []struct {
		name    string
		do      func(b *browser) answer
		status  int
		code    string
		cleared []string
	}{
		{name: "second access-token cookie", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.get("/claims", cookieHeader("pc-at", a("pc-at"), "pc-id", v("pc-id"), "pc-at", v("pc-at")))
		}},
		{name: "second access-token cookie, first copy the victim's", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.post("/login/end", nil, cookieHeader("pc-at", v("pc-at"), "pc-at", a("pc-at")))
		}},
		{name: "second ID token cookie", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.get("/userInfo", cookieHeader("pc-id", a("pc-id"), "pc-at", v("pc-at"), "pc-id", v("pc-id")))
		}},
		{name: "second refresh token cookie", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.post("/refresh", nil, cookieHeader("pc-auth", a("pc-auth"), "pc-auth", v("pc-auth"), "pc-at", v("pc-at"), "pc-id", v("pc-id")))
		}},
		{name: "second login cookie", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			page, login := victimLogin()
			return b.post("/login/end", pageURL(page), cookieHeader("pc-login", a("pc-login"), "pc-login", login))
		}},
		{name: "ID token cookie of another login", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.get("/claims", cookieHeader("pc-at", v("pc-at"), "pc-id", a("pc-id")))
		}},
		{name: "ID token cookie of another login on a page load", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.post("/login/end", pageURL(appURL), cookieHeader("pc-at", v("pc-at"), "pc-id", a("pc-id")))
		}},
		{name: "refresh token cookie of another login", status: 403, code: "conflicting_cookies", do: func(b *browser) answer {
			return b.post("/refresh", nil, cookieHeader("pc-at", v("pc-at"), "pc-id", v("pc-id"), "pc-auth", a("pc-auth")))
		}},
		{name: "refresh token and ID token cookies without the access-token cookie", status: 401, code: "no_session", cleared: session, do: func(b *browser) answer {
			return b.post("/refresh", nil, cookieHeader("pc-auth", a("pc-auth"), "pc-id", a("pc-id")))
		}},
		{name: "ID token cookie presented as the access-token cookie", status: 401, code: "invalid_cookie", cleared: session, do: func(b *browser) answer {
			return b.post("/login/end", pageURL(appURL), cookieHeader("pc-at", v("pc-id")))
		}},
		{name: "access-token cookie presented as the ID token cookie", status: 401, code: "invalid_cookie", cleared: session, do: func(b *browser) answer {
			return b.get("/claims", cookieHeader("pc-at", v("pc-at"), "pc-id", v("pc-at")))
		}},
		{name: "ID token cookie presented as the refresh token cookie", status: 401, code: "invalid_cookie", cleared: session, do: func(b *browser) answer {
			return b.post("/refresh", nil, cookieHeader("pc-at", v("pc-at"), "pc-id", v("pc-id"), "pc-auth", v("pc-id")))
		}},
		{name: "login cookie presented as the access-token cookie", status: 401, code: "invalid_cookie", cleared: session, do: func(b *browser) answer {
			return b.get("/claims", cookieHeader("pc-at", a("pc-login"), "pc-id", v("pc-id")))
		}},
		{name: "the victim's own cookies pass", status: 200, do: func(b *browser) answer {
			return b.get("/claims", cookieHeader("theme", "dark", "pc-at", v("pc-at"), "pc-id", v("pc-id")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := op.refreshCalls.Load()
			// A browser with an empty jar sends exactly the crafted header.
			got := tt.do(e.browser(t))
			if got.status != tt.status {
				t.Fatalf("%d %s, want %d", got.status, got.body, tt.status)
			}
			if tt.code != "" && got.code(t) != tt.code {
				t.Errorf("code %s, want %s", got.body, tt.code)
			}
			if !sameSet(got.cleared(), tt.cleared) {
				t.Errorf("cleared %v, want %v", got.cleared(), tt.cleared)
			}
			if op.refreshCalls.Load() != calls {
				t.Error("the provider was asked to refresh")
			}
		})
	}
	// The victim's own session is intact.
	if got := victim.get("/claims"); got.status != http.StatusOK {
		t.Errorf("the victim's session: %d %s", got.status, got.body)
	}
}

// TestLegacyCookies: cookies in the Curity layout, written before cookies
// were bound to their names and logins, are read until the end of the
// transition, under the names without __Host- and __Secure- too (never
// under those, which only version 2 values hold), and refused after it; a
// refresh rewrites them all in the new layout.
func TestLegacyCookies(t *testing.T) {
	op := newTestOP(t, appURL)
	// legacyCookies returns the Cookie header of a session written before
	// the change, whose refresh token the provider knows.
	legacyCookies := func() string {
		var rt, idToken string
		op.set(func(op *testOP) {
			rt, idToken = rand.Text(), op.idToken("")
			op.refresh[rt] = false
		})
		legacy := func(name, value string) string { return name + "=" + legacySeal(t, testKey, value) }
		return strings.Join([]string{legacy("pc-at", "legacy-access-token"), legacy("pc-id", idToken), legacy("pc-auth", rt)}, "; ")
	}
	// prefixed gives header's cookies the names with __Host- and
	// __Secure-, under which only version 2 values are accepted: a
	// version 1 value has no login ID to bind it to the others.
	prefixed := strings.NewReplacer("pc-at=", "__Host-pc-at=", "pc-id=", "__Secure-pc-id=", "pc-auth=", "__Secure-pc-auth=")

	tests := []struct {
		name     string
		until    time.Time
		secure   bool
		prefixed bool
		status   int
		code     string
	}{
		{name: "during the transition", until: time.Now().Add(time.Hour), status: 200},
		{name: "during the transition, under the names before the prefixes", until: time.Now().Add(time.Hour), secure: true, status: 200},
		{name: "during the transition, under the names with the prefixes", until: time.Now().Add(time.Hour), secure: true, prefixed: true, status: 401, code: "invalid_cookie"},
		{name: "after the transition", until: time.Now().Add(-time.Second), status: 401, code: "invalid_cookie"},
		{name: "without a transition", status: 401, code: "invalid_cookie"},
		{name: "without a transition, under the names before the prefixes", secure: true, status: 401, code: "no_session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := op.config()
			cfg.LegacyCookiesUntil = tt.until
			var b *browser
			if tt.secure {
				cfg.TrustedWebOrigins = append(cfg.TrustedWebOrigins, "https://app.example.com")
				b = startTLSAgent(t, cfg)
			} else {
				base, _ := startAgent(t, cfg)
				b = newBrowser(t, base, cfg)
			}
			header := legacyCookies()
			if tt.prefixed {
				header = prefixed.Replace(header)
			}
			got := b.get("/claims", setHeader("Cookie", header))
			if got.status != tt.status || tt.code != "" && got.code(t) != tt.code {
				t.Fatalf("claims: %d %s, want %d %s", got.status, got.body, tt.status, tt.code)
			}
			if tt.status != http.StatusOK {
				return
			}
			// The refresh answers the three cookies in the new layout.
			got = b.post("/refresh", nil, setHeader("Cookie", header))
			if got.status != http.StatusNoContent {
				t.Fatalf("refresh: %d %s", got.status, got.body)
			}
			set := map[string]string{}
			for _, c := range (&http.Response{Header: got.header}).Cookies() {
				if c.MaxAge >= 0 {
					set[c.Name] = c.Value
				}
			}
			names := []string{"pc-at", "pc-auth", "pc-id"}
			if tt.secure {
				names = []string{"__Host-pc-at", "__Secure-pc-auth", "__Secure-pc-id"}
				// The copies under the old names go.
				if !sameSet(got.cleared(), []string{"pc-at", "pc-auth", "pc-auth", "pc-id"}) {
					t.Errorf("cleared %v", got.cleared())
				}
			}
			for _, n := range names {
				if raw, err := base64.RawURLEncoding.DecodeString(set[n]); err != nil || raw[0] != 2 {
					t.Errorf("cookie %s not rewritten in version 2: %q", n, set[n])
				}
			}
			// The browser's jar now holds the new cookies alone.
			if got := b.get("/claims"); got.status != http.StatusOK {
				t.Errorf("claims with the new cookies: %d %s", got.status, got.body)
			}
		})
	}
}

// startTLSAgent runs an agent for cfg over https and returns a browser for
// it, so that its Secure cookies come back.
func startTLSAgent(t *testing.T, cfg agent.Config) *browser {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.CookieEncryptionKey = agent.Keys{testKey}
	a, err := agent.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	srv := httptest.NewTLSServer(a)
	t.Cleanup(srv.Close)
	base := cfg.BasePath
	if base == "" {
		base = agent.DefaultBasePath
	}
	b := newBrowser(t, strings.TrimSuffix(srv.URL+base, "/"), cfg)
	b.c.Transport = srv.Client().Transport
	return b
}

// TestCookieNames: with Secure cookies, the cookies at the root path take
// the __Host- prefix, which no other host of the domain can set, and the
// others __Secure-; a whole session works with them.
func TestCookieNames(t *testing.T) {
	op := newTestOP(t, appURL)
	tests := []struct {
		name, basePath string
		want           map[string]string // name and path → path
	}{
		{name: "agent under /oauth-agent", basePath: "/oauth-agent", want: map[string]string{
			"__Host-pc-at /": "/", "__Secure-pc-auth /oauth-agent/refresh": "/oauth-agent/refresh",
			"__Secure-pc-auth /oauth-agent/logout": "/oauth-agent/logout", "__Secure-pc-id /oauth-agent": "/oauth-agent",
		}},
		{name: "agent at the root", basePath: "/", want: map[string]string{
			"__Host-pc-at /": "/", "__Secure-pc-auth /refresh": "/refresh", "__Secure-pc-auth /logout": "/logout", "__Host-pc-id /": "/",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := op.config()
			cfg.BasePath = tt.basePath
			cfg.TrustedWebOrigins = append(cfg.TrustedWebOrigins, "https://app.example.com")
			b := startTLSAgent(t, cfg)
			got := b.post("/login/end", pageURL(b.landing(b.start(), "", "")))
			if got.status != http.StatusOK {
				t.Fatalf("/login/end: %d %s", got.status, got.body)
			}
			set := map[string]string{}
			for _, c := range (&http.Response{Header: got.header}).Cookies() {
				if c.MaxAge >= 0 {
					// The refresh token is set twice under one name, for
					// /refresh and for /logout.
					set[c.Name+" "+c.Path] = c.Path
					if !c.Secure || c.Domain != "" {
						t.Errorf("cookie %s: Secure %v, Domain %q", c.Name, c.Secure, c.Domain)
					}
				}
			}
			if len(set) != len(tt.want) {
				t.Errorf("cookies set: %v, want %v", set, tt.want)
			}
			for name, path := range tt.want {
				if set[name] != path {
					t.Errorf("cookie %s: path %q, want %q", name, set[name], path)
				}
			}
			for _, step := range []answer{b.get("/claims"), b.post("/refresh", nil), b.get("/userInfo")} {
				if step.status/100 != 2 {
					t.Errorf("%d %s", step.status, step.body)
				}
			}
			if cleared := b.post("/logout", nil).cleared(); !slices.Contains(cleared, "__Host-pc-at") || !slices.Contains(cleared, "__Host-pc-login") {
				t.Errorf("logout cleared %v", cleared)
			}
		})
	}
}

// TestLoginCookiePlanting: the login cookie is a __Host- cookie at the
// root path, which no other host of the domain can set. One that another
// host planted under another name, with the state of its planter's login,
// does not make /login/end sign the browser into the planter's account
// (login CSRF); only the cookie under its own name finishes a login.
func TestLoginCookiePlanting(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	cfg.TrustedWebOrigins = append(cfg.TrustedWebOrigins, "https://app.example.com")
	cfg.LegacyCookiesUntil = time.Now().Add(time.Hour)
	attacker := startTLSAgent(t, cfg)
	newTab := func() *browser {
		b := newBrowser(t, attacker.agent, cfg)
		b.c.Transport = attacker.c.Transport
		return b
	}
	// login starts a login and returns the page it lands on and its login
	// cookie.
	login := func(b *browser) (string, string) {
		page := b.landing(b.start(), "", "")
		v := b.cookie("__Host-pc-login", "/")
		if v == "" {
			t.Fatal("no __Host-pc-login cookie at /")
		}
		return page, v
	}
	tests := []struct {
		name   string
		cookie func(attackers, victims string) func(*http.Request)
		status int
		code   string
	}{
		{name: "planted under __Secure-", status: 400, code: "invalid_state", cookie: func(a, _ string) func(*http.Request) {
			return cookieHeader("__Secure-pc-login", a)
		}},
		{name: "planted under the name before the prefixes", status: 401, code: "invalid_cookie", cookie: func(a, _ string) func(*http.Request) {
			return cookieHeader("pc-login", a)
		}},
		{name: "planted under __Secure- beside the browser's own", status: 400, code: "invalid_state", cookie: func(a, v string) func(*http.Request) {
			return cookieHeader("__Secure-pc-login", a, "__Host-pc-login", v)
		}},
		{name: "planted under the name before the prefixes beside the browser's own", status: 400, code: "invalid_state", cookie: func(a, v string) func(*http.Request) {
			return cookieHeader("pc-login", a, "__Host-pc-login", v)
		}},
		// What the prefix guards: the attacker's cookie, were it there
		// under its own name, would finish the attacker's login.
		{name: "under its own name", status: 200, cookie: func(a, _ string) func(*http.Request) {
			return cookieHeader("__Host-pc-login", a)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, planted := login(newTab())
			_, own := login(newTab())
			got := newTab().post("/login/end", pageURL(page), tt.cookie(planted, own))
			if got.status != tt.status || tt.code != "" && got.code(t) != tt.code {
				t.Fatalf("%d %s, want %d %s", got.status, got.body, tt.status, tt.code)
			}
			signedIn := slices.ContainsFunc((&http.Response{Header: got.header}).Cookies(), func(c *http.Cookie) bool {
				return c.Name == "__Host-pc-at" && c.MaxAge >= 0
			})
			if signedIn != (tt.status == http.StatusOK) {
				t.Errorf("session cookies set: %v", signedIn)
			}
		})
	}
}
