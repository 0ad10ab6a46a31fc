package agent_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/agent"
)

// badEnv is the minimal provider with two agents for it, the second with
// another cookie key.
type badEnv struct {
	op          *testOP
	cfg         agent.Config
	base, other string
}

func (e *badEnv) browser(t *testing.T) *browser { return newBrowser(t, e.base, e.cfg) }

// signedIn returns a browser after a whole login.
func (e *badEnv) signedIn(t *testing.T) *browser {
	b := e.browser(t)
	if s := b.signIn("", ""); !s.IsLoggedIn {
		t.Fatalf("sign-in: %+v", s)
	}
	return b
}

// landed returns a browser that started a login and the page it landed
// on, not yet handed to /login/end.
func (e *badEnv) landed(t *testing.T) (*browser, string) {
	b := e.browser(t)
	return b, b.landing(b.start(), "", "")
}

// Request changes.
func setHeader(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }

func delHeader(k string) func(*http.Request) { return func(r *http.Request) { r.Header.Del(k) } }

func rawBody(s string) func(*http.Request) {
	return func(r *http.Request) {
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(s)), int64(len(s))
	}
}

// setCookie replaces a cookie in the browser's jar.
func (b *browser) setCookie(name, path, value string) {
	u, _ := url.Parse(b.agent)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// tamper changes one character in the middle of a cookie value.
func tamper(v string) string {
	i := len(v) / 2
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

// withParam returns page with one query parameter set.
func withParam(t *testing.T, page, k, v string) string {
	u := mustParse(t, page)
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func pageURL(p string) map[string]string { return map[string]string{"pageUrl": p} }

func extra(kv ...string) map[string]any {
	var params []map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, map[string]string{"key": kv[i], "value": kv[i+1]})
	}
	return map[string]any{"extraParams": params}
}

// session is the cookies of a session: the refresh token twice, for
// /refresh and for /logout.
var session = []string{"pc-at", "pc-auth", "pc-auth", "pc-id"}

// TestBadInput sends the agent every kind of bad request the issue lists,
// and more: each must get its status, its JSON error code, and delete
// exactly the cookies it should.
func TestBadInput(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	otherCfg := cfg
	otherCfg.CookieEncryptionKey = agent.Keys{otherKey}
	other, _ := startAgent(t, otherCfg)
	e := &badEnv{op: op, cfg: cfg, base: base, other: other}
	changeID := func(t *testing.T, f func(map[string]any)) {
		op.set(func(op *testOP) { op.idClaims = f })
		t.Cleanup(func() { op.set(func(op *testOP) { op.idClaims = nil }) })
	}
	goDown := func(t *testing.T) {
		op.down.Store(true)
		t.Cleanup(func() { op.down.Store(false) })
	}

	tests := []struct {
		name    string
		do      func(t *testing.T) answer
		status  int
		code    string
		cleared []string
	}{
		// Cross-site defences.
		{name: "no Origin", status: 403, code: "untrusted_origin", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", nil, delHeader("Origin"))
		}},
		{name: "foreign Origin", status: 403, code: "untrusted_origin", do: func(t *testing.T) answer {
			return e.signedIn(t).get("/claims", setHeader("Origin", "https://evil.example"))
		}},
		{name: "Origin null", status: 403, code: "untrusted_origin", do: func(t *testing.T) answer {
			return e.browser(t).post("/logout", nil, setHeader("Origin", "null"))
		}},
		{name: "trusted Origin with a port changed", status: 403, code: "untrusted_origin", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", nil, setHeader("Origin", "http://127.0.0.1:3001"))
		}},
		{name: "no Origin, cross-site fetch", status: 403, code: "untrusted_origin", do: func(t *testing.T) answer {
			return e.signedIn(t).get("/claims", delHeader("Origin"), setHeader("Sec-Fetch-Site", "same-site"))
		}},
		{name: "no Origin, same-origin fetch on the app's host passes", status: 401, code: "no_session", do: func(t *testing.T) answer {
			return e.browser(t).get("/claims", delHeader("Origin"), setHeader("Sec-Fetch-Site", "same-origin"), onHost(appURL))
		}},
		{name: "no Origin, same-origin fetch on another host", status: 403, code: "untrusted_origin", do: func(t *testing.T) answer {
			return e.browser(t).get("/claims", delHeader("Origin"), setHeader("Sec-Fetch-Site", "same-origin"))
		}},
		{name: "no CSRF header", status: 403, code: "missing_csrf_header", do: func(t *testing.T) answer {
			return e.signedIn(t).post("/refresh", nil, delHeader("Token-Handler-Version"))
		}},
		{name: "CSRF header of another version", status: 403, code: "missing_csrf_header", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", nil, setHeader("Token-Handler-Version", "2"))
		}},
		// Routing.
		{name: "GET on a POST endpoint", status: 405, code: "method_not_allowed", do: func(t *testing.T) answer {
			return e.browser(t).get("/login/start")
		}},
		{name: "unknown endpoint", status: 404, code: "not_found", do: func(t *testing.T) answer {
			return e.browser(t).get("/token")
		}},
		// Bodies.
		{name: "body not JSON", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", nil, rawBody("extraParams=1"))
		}},
		{name: "unknown member", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/end", map[string]string{"url": appURL})
		}},
		{name: "two JSON values", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/end", nil, rawBody(`{"pageUrl": "x"} {}`))
		}},
		{name: "body too large, login end", status: 413, code: "request_too_large", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/end", pageURL(appURL+"?"+strings.Repeat("a", 20<<10)))
		}},
		{name: "body too large, login start", status: 413, code: "request_too_large", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("ui_locales", strings.Repeat("a", 20<<10)))
		}},
		{name: "extraParams sets state", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("ui_locales", "fr", "state", "mine"))
		}},
		{name: "extraParams sets redirect_uri", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("redirect_uri", "https://evil.example/"))
		}},
		{name: "extraParams sets code_challenge", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("code_challenge", "x"))
		}},
		{name: "extraParams sets scope", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("scope", "openid admin"))
		}},
		{name: "extraParams key twice", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("ui_locales", "fr", "ui_locales", "de"))
		}},
		{name: "extraParams empty key", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", extra("", "x"))
		}},
		{name: "extraParams value not a string", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/start", nil, rawBody(`{"extraParams": [{"key": "max_age", "value": 60}]}`))
		}},
		// Page URLs and authorization responses.
		{name: "pageUrl not absolute", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/end", pageURL("/?code=1&state=2"))
		}},
		{name: "pageUrl with state twice", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/end", pageURL(appURL+"?code=1&state=2&state=3"))
		}},
		{name: "pageUrl with code and error", status: 400, code: "invalid_request", do: func(t *testing.T) answer {
			return e.browser(t).post("/login/end", pageURL(appURL+"?code=1&state=2&error=access_denied"))
		}},
		{name: "mismatched state", status: 400, code: "invalid_state", do: func(t *testing.T) answer {
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(withParam(t, page, "state", "forged")))
		}},
		{name: "replayed state", status: 400, code: "invalid_state", do: func(t *testing.T) answer {
			b, page := e.landed(t)
			b.end(page)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "response for another browser's login", status: 400, code: "invalid_state", do: func(t *testing.T) answer {
			_, page := e.landed(t)
			b, _ := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "response without any login in progress", status: 400, code: "invalid_state", do: func(t *testing.T) answer {
			_, page := e.landed(t)
			return e.browser(t).post("/login/end", pageURL(page))
		}},
		{name: "response from another issuer", status: 400, code: "invalid_issuer", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(withParam(t, page, "iss", "https://evil.example")))
		}},
		{name: "error response", status: 400, code: "access_denied", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			b, page := e.landed(t)
			u := mustParse(t, page)
			return b.post("/login/end", pageURL(appURL+"?error=access_denied&error_description=no&state="+u.Query().Get("state")))
		}},
		{name: "error response with a code no app should show", status: 400, code: "provider_error", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			b, page := e.landed(t)
			u := mustParse(t, page)
			return b.post("/login/end", pageURL(appURL+"?error=%22%3Cscript%3E&state="+u.Query().Get("state")))
		}},
		{name: "code refused by the provider", status: 400, code: "invalid_grant", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(withParam(t, page, "code", "forged")))
		}},
		// ID tokens.
		{name: "ID token with another nonce", status: 502, code: "invalid_id_token", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			changeID(t, func(c map[string]any) { c["nonce"] = "another" })
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "ID token without a nonce", status: 502, code: "invalid_id_token", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			changeID(t, func(c map[string]any) { delete(c, "nonce") })
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "ID token for another client", status: 502, code: "invalid_id_token", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			changeID(t, func(c map[string]any) { c["aud"] = "another-client" })
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "ID token from another issuer", status: 502, code: "invalid_id_token", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			changeID(t, func(c map[string]any) { c["iss"] = "https://evil.example" })
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "ID token expired", status: 502, code: "invalid_id_token", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			changeID(t, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "ID token signed with another key", status: 502, code: "invalid_id_token", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			op.set(func(op *testOP) { op.signer = key })
			t.Cleanup(func() { op.set(func(op *testOP) { op.signer = nil }) })
			b, page := e.landed(t)
			return b.post("/login/end", pageURL(page))
		}},
		{name: "refreshed ID token about someone else", status: 502, code: "invalid_id_token", do: func(t *testing.T) answer {
			b := e.signedIn(t)
			changeID(t, func(c map[string]any) { c["sub"] = "mallory" })
			return b.post("/refresh", nil)
		}},
		// Cookies.
		{name: "tampered access-token cookie", status: 401, code: "invalid_cookie", cleared: session, do: func(t *testing.T) answer {
			b := e.signedIn(t)
			b.setCookie("pc-at", "/", tamper(b.cookie("pc-at", "/")))
			return b.get("/userInfo")
		}},
		{name: "truncated ID token cookie", status: 401, code: "invalid_cookie", cleared: session, do: func(t *testing.T) answer {
			b := e.signedIn(t)
			v := b.cookie("pc-id", "/oauth-agent")
			b.setCookie("pc-id", "/oauth-agent", v[:len(v)-4])
			return b.get("/claims")
		}},
		{name: "tampered ID token cookie at refresh", status: 401, code: "invalid_cookie", cleared: session, do: func(t *testing.T) answer {
			b := e.signedIn(t)
			b.setCookie("pc-id", "/oauth-agent", tamper(b.cookie("pc-id", "/oauth-agent")))
			return b.post("/refresh", nil)
		}},
		{name: "refresh cookie of another key", status: 401, code: "invalid_cookie", cleared: session, do: func(t *testing.T) answer {
			foreign := newBrowser(t, e.other, e.cfg)
			foreign.signIn("", "")
			b := e.signedIn(t)
			b.setCookie("pc-auth", "/oauth-agent/refresh", foreign.cookie("pc-auth", "/oauth-agent/refresh"))
			return b.post("/refresh", nil)
		}},
		{name: "access-token cookie that is not base64url", status: 401, code: "invalid_cookie", cleared: session, do: func(t *testing.T) answer {
			b := e.browser(t)
			b.setCookie("pc-at", "/", "not.a.cookie")
			return b.post("/login/end", pageURL(appURL))
		}},
		{name: "tampered login cookie", status: 401, code: "invalid_cookie", cleared: []string{"pc-login"}, do: func(t *testing.T) answer {
			b, page := e.landed(t)
			b.setCookie("pc-login", "/", tamper(b.cookie("pc-login", "/")))
			return b.post("/login/end", pageURL(page))
		}},
		// Sessions the provider ended.
		{name: "refresh token refused", status: 401, code: "session_expired", cleared: session, do: func(t *testing.T) answer {
			b := e.signedIn(t)
			op.set(func(op *testOP) {
				for rt := range op.refresh {
					op.refresh[rt] = true
				}
			})
			return b.post("/refresh", nil)
		}},
		{name: "no refresh token cookie", status: 401, code: "no_session", cleared: session, do: func(t *testing.T) answer {
			return e.browser(t).post("/refresh", nil)
		}},
		{name: "access token refused at userinfo", status: 401, code: "token_rejected", do: func(t *testing.T) answer {
			b := e.signedIn(t)
			op.revokeAccess()
			return b.get("/userInfo")
		}},
		// An unreachable provider: 503, and nothing is lost.
		{name: "provider down at refresh", status: 503, code: "provider_unavailable", do: func(t *testing.T) answer {
			b := e.signedIn(t)
			goDown(t)
			return b.post("/refresh", nil)
		}},
		{name: "provider down at userInfo", status: 503, code: "provider_unavailable", do: func(t *testing.T) answer {
			b := e.signedIn(t)
			goDown(t)
			return b.get("/userInfo")
		}},
		{name: "provider down at login end", status: 503, code: "provider_unavailable", do: func(t *testing.T) answer {
			b, page := e.landed(t)
			goDown(t)
			return b.post("/login/end", pageURL(page))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.do(t)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := a.code(t); got != tt.code {
				t.Errorf("code %q, want %q: %s", got, tt.code, a.body)
			}
			if got := a.cleared(); !sameSet(got, tt.cleared) {
				t.Errorf("cleared %v, want %v", got, tt.cleared)
			}
		})
	}
}

// TestNothingLost: after the provider comes back, a refresh and a login
// that failed with 503 succeed with what the browser still holds.
func TestNothingLost(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.signIn("", "")
	b2 := newBrowser(t, base, cfg)
	page := b2.landing(b2.start(), "", "")

	op.down.Store(true)
	if a := b.post("/refresh", nil); a.status != http.StatusServiceUnavailable {
		t.Fatalf("refresh while down: %d %s", a.status, a.body)
	}
	if a := b2.post("/login/end", pageURL(page)); a.status != http.StatusServiceUnavailable {
		t.Fatalf("login end while down: %d %s", a.status, a.body)
	}
	op.down.Store(false)
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Errorf("refresh after: %d %s", a.status, a.body)
	}
	if s := b2.end(page); !s.Handled || !s.IsLoggedIn {
		t.Errorf("login end after: %+v", s)
	}
}

// TestRefreshKeepsRotatedTokens: when the refreshed ID token does not
// verify, the provider has already rotated the refresh token; the agent
// keeps the new tokens (and the previous ID token) so that the next refresh
// still works, instead of losing them and ending the session.
func TestRefreshKeepsRotatedTokens(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.signIn("", "")
	idBefore := b.cookie("pc-id", "/oauth-agent")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	op.set(func(op *testOP) { op.signer = key })
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Fatalf("refresh with an ID token that does not verify: %d %s", a.status, a.body)
	}
	if b.cookie("pc-id", "/oauth-agent") != idBefore {
		t.Fatal("an unverified ID token replaced the previous one")
	}
	op.set(func(op *testOP) { op.signer = nil })
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Fatalf("next refresh, with the rotated refresh token: %d %s", a.status, a.body)
	}
}

// TestProviderAnswersWithoutOAuthError: a provider 404 or 429 is the
// provider's fault, not the app's: 502 and 503, never 400.
func TestProviderAnswersWithoutOAuthError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   int
	}{
		{"not found", http.StatusNotFound, http.StatusBadGateway},
		{"too many requests", http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := newTestOP(t, appURL)
			cfg := op.config()
			base, _ := startAgent(t, cfg)
			b := newBrowser(t, base, cfg)
			b.signIn("", "")
			op.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
			if a := b.get("/userInfo"); a.status != tt.want {
				t.Fatalf("userinfo answered %d: agent said %d %s, want %d", tt.status, a.status, a.body, tt.want)
			}
		})
	}
}

// onHost sends the request as if to the host of origin, as in a same-origin
// deployment where the app and the agent share one host.
func onHost(origin string) func(*http.Request) {
	u, _ := url.Parse(origin)
	return func(r *http.Request) { r.Host = u.Host }
}
