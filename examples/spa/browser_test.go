package spa_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/examples/spa"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/store"
)

// stack is everything the example app talks to, in this process on
// loopback except the users API, which runs as the example program it is.
type stack struct {
	app, agent, gateway string // base URLs
	as                  *authservertest.Server
	cookies             agent.CookieConfig // the agent's, which the gateway reads
}

// startStack runs the authorization server, the users API, the agent, the
// gateway and the app, each on its own loopback port as in production
// where they are separate services; cookies are per host, so the
// gateway receives the agent's. With dpop, the agent's tokens are bound to
// its DPoP key, and the gateway presents them with proofs. Deleting a user
// takes a second factor proved in the last five minutes: the API requires
// it, and with gatewayStepUp the gateway's route does too, as portcullis
// dev configures it, so that the gateway refuses before the API is asked.
func startStack(t *testing.T, dpop, gatewayStepUp bool) *stack {
	t.Helper()
	appSrv, agentSrv, gwSrv := httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil)
	s := &stack{app: "http://" + appSrv.Listener.Addr().String(), agent: "http://" + agentSrv.Listener.Addr().String(), gateway: "http://" + gwSrv.Listener.Addr().String()}
	secret, hash := authserver.NewSecret()
	s.as = authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{
			ID: "spa-agent", Name: "Example app", SecretHash: hash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"authorization_code", "refresh_token"}, SkipConsent: true,
			RedirectURIs: []string{s.app + "/"}, PostLogoutRedirectURIs: []string{s.app + "/"},
			Scopes: []string{"openid", "profile", "email", "offline_access", "list:users", "write:users"},
		})
	})
	log := slog.New(slog.DiscardHandler)
	cfg := agent.Config{
		Listen: agentSrv.Listener.Addr().String(), Issuer: s.as.URL, ClientID: "spa-agent", ClientSecret: secret,
		RedirectURI: s.app + "/", PostLogoutRedirectURI: s.app + "/", Scope: "openid profile email offline_access list:users write:users",
		TrustedWebOrigins: []string{s.app}, CookieEncryptionKey: agent.Keys{strings.Repeat("5a", 32)},
	}
	if dpop {
		cfg.DPoP, cfg.DPoPKeys = true, agent.Keys{strings.Repeat("d0", 32)}
	}
	ag, err := agent.New(t.Context(), cfg, log)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	s.cookies = cfg.Cookies()
	api := startUsersAPI(t, s.as.URL, s.gateway)
	del := gateway.Route{Path: "/users", Methods: []string{"DELETE"}, Upstream: api, Scopes: []string{"write:users"}, Cookies: true}
	if gatewayStepUp {
		del.ACRValues, del.MaxAge = []string{"mfa", "phr"}, 5*time.Minute
	}
	gw, err := gateway.New(t.Context(), gateway.Config{
		Listen: gwSrv.Listener.Addr().String(), PublicURL: s.gateway, Issuer: s.as.URL, Audience: authservertest.API, Cookies: &s.cookies,
		Routes: []gateway.Route{{Path: "/users", Methods: []string{"GET"}, Upstream: api, Scopes: []string{"list:users"}, Cookies: true}, del},
	}, log)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	t.Cleanup(gw.Close)
	for srv, h := range map[*httptest.Server]http.Handler{
		agentSrv: ag, gwSrv: gw, appSrv: spa.Handler(spa.Config{AgentURL: s.agent + "/oauth-agent", APIURL: s.gateway}),
	} {
		srv.Config.Handler = h
		srv.Start()
		t.Cleanup(srv.Close)
	}
	return s
}

// startUsersAPI builds and runs examples/usersapi for issuer behind the
// gateway at publicURL, and returns its URL once it answers.
func startUsersAPI(t *testing.T, issuer, publicURL string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "usersapi")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/portcullis/portcullis/examples/usersapi").CombinedOutput(); err != nil {
		t.Fatalf("build usersapi: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-issuer", issuer, "-audience", authservertest.API, "-listen", addr, "-public-url", publicURL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	url := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/users"); err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatal("usersapi did not start")
		}
	}
}

// TestBrowser drives the example app in headless Chromium through the
// issue's scenario: sign in as the demo user, see the name, list users
// through the gateway, refresh, sign out, and find the API closed; with
// bearer tokens, and with tokens bound to the agent's DPoP key (issue 11,
// which needs the authorization server's and the guard's DPoP support).
func TestBrowser(t *testing.T) {
	for _, tt := range []struct {
		name string
		dpop bool
	}{{"bearer", false}, {"dpop", true}} {
		t.Run(tt.name, func(t *testing.T) { browse(t, tt.dpop) })
	}
}

func browse(t *testing.T, dpop bool) {
	ctx := browsertest.Chromium(t, 120*time.Second, chromedp.WindowSize(900, 1000))
	s := startStack(t, dpop, false)

	signIn(t, ctx, s)
	name := text(t, ctx, `#name`)
	if name != "Demo User" || text(t, ctx, `#userinfo-name`) != "Demo User" || text(t, ctx, `#email`) != "demo@example.com" {
		t.Errorf("signed in as %q, userinfo %q %q", name, text(t, ctx, `#userinfo-name`), text(t, ctx, `#email`))
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != s.app+"/" {
		t.Errorf("the app kept the authorization response in its URL: %s", loc)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if dir := os.Getenv("PORTCULLIS_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "spa-signed-in.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jar := cookies(t, ctx, s.agent+"/oauth-agent/refresh")
	for _, c := range []string{"pc-at", "pc-auth", "pc-id"} {
		if jar[c] == nil || !jar[c].HTTPOnly || jar[c].SameSite != network.CookieSameSiteStrict {
			t.Errorf("cookie %s: %+v", c, jar[c])
		}
	}
	if jar["pc-login"] != nil {
		t.Error("the login cookie outlived the login")
	}
	if dpop {
		checkBound(t, s, jar["pc-at"])
	}

	listUsers(t, ctx)

	// On a phone, the answer shows where the button was pressed.
	if err := browsertest.SetViewport(ctx, browsertest.SmallPhone); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`#refresh`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#message').textContent.startsWith('Tokens refreshed')`),
	); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const r = document.querySelector('#message').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`))
	if err != nil || !seen {
		t.Errorf("the refresh message is out of sight on a phone (%v)", err)
	}
	browsertest.Screenshot(t, ctx, "spa-refreshed-phone-small")
	if err := browsertest.SetViewport(ctx, browsertest.Desktop); err != nil {
		t.Fatal(err)
	}
	after := cookies(t, ctx, s.agent+"/oauth-agent/refresh")
	if after["pc-at"] == nil || after["pc-at"].Value == jar["pc-at"].Value || after["pc-auth"].Value == jar["pc-auth"].Value {
		t.Fatal("refresh did not replace the token cookies")
	}
	if dpop {
		checkBound(t, s, after["pc-at"])
	}
	listUsers(t, ctx)

	// The agent's logout URL carries no ID token, so the provider asks
	// the user to confirm.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#sign-out`),
		chromedp.Click(`button[name="confirm"]`),
		chromedp.WaitVisible(`#sign-in`),
	); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if left := cookies(t, ctx, s.agent+"/oauth-agent/refresh"); len(left) > 0 {
		t.Errorf("cookies left after sign-out: %v", left)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch('`+s.gateway+`/users', {credentials: 'include'}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusUnauthorized {
		t.Errorf("the API after sign-out: %d, %v", status, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`#list-users`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#message').dataset.kind === 'error'`),
	); err != nil {
		t.Fatalf("list users signed out: %v", err)
	}
	if msg := text(t, ctx, `#message`); !strings.HasPrefix(msg, "401") {
		t.Errorf("message after listing users signed out: %q", msg)
	}
}

// signIn opens the app and signs in with the test user's password.
func signIn(t *testing.T, ctx context.Context, s *stack) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.app+"/"),
		chromedp.WaitVisible(`#sign-in`),
		chromedp.Click(`#sign-in`),
		chromedp.WaitVisible(`#username`),
		chromedp.SendKeys(`#username`, s.as.Username),
		chromedp.SendKeys(`#password`, s.as.Password+"\r"),
		chromedp.WaitVisible(`#signed-in`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#email').textContent !== ''`),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// checkBound checks that the access token in the browser's cookie is
// bound to the agent's DPoP key, and is worthless lifted out of the
// cookie: the gateway refuses it as a bearer token.
func checkBound(t *testing.T, s *stack, c *network.Cookie) {
	t.Helper()
	token := cookieToken(t, s, c)
	key, err := agent.DPoPKey(s.cookies.DPoPKeys[0])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	jwtClaims(t, token, &claims)
	if claims.Cnf.JKT != key.Thumbprint() {
		t.Errorf("cnf.jkt %q, want the agent's key %s", claims.Cnf.JKT, key.Thumbprint())
	}
	lifted, _ := http.NewRequest(http.MethodGet, s.gateway+"/users", nil)
	lifted.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(lifted)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the token lifted out of the cookie, as a bearer token: %d", resp.StatusCode)
	}
}

// cookieToken is the access token the agent sealed in the cookie c.
func cookieToken(t *testing.T, s *stack, c *network.Cookie) string {
	t.Helper()
	if c == nil {
		t.Fatal("no access-token cookie")
	}
	reader, err := agent.NewCookieReader(s.cookies)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, s.gateway+"/users", nil)
	req.Header.Set("Origin", s.app)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	token, err := reader.AccessToken(req)
	if err != nil {
		t.Fatalf("the access-token cookie: %v", err)
	}
	return token
}

// jwtClaims decodes the claims of the JWT token into v, unverified: the
// token came from the agent's cookie, not from an attacker.
func jwtClaims(t *testing.T, token string, v any) {
	t.Helper()
	if parts := strings.Split(token, "."); len(parts) != 3 {
		t.Fatalf("the access token is not a JWT")
	} else if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(payload, v) != nil {
		t.Fatalf("the access token's claims do not decode")
	}
}

// listUsers lists users through the gateway and checks the list.
func listUsers(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Click(`#list-users`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#users li').length === 2`),
	); err != nil {
		t.Fatalf("list users: %v", err)
	}
	if got := text(t, ctx, `#users`); !strings.Contains(got, "Ada Lovelace <ada@example.com>") {
		t.Errorf("users %q", got)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// cookies returns the browser's cookies for url by name, HttpOnly ones
// included.
func cookies(t *testing.T, ctx context.Context, url string) map[string]*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		if strings.HasPrefix(c.Name, "pc-") {
			out[c.Name] = c
		}
	}
	return out
}
