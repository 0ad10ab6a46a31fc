package agent_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// Two cookie keys, for rotation tests.
const (
	testKey  = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	otherKey = "8f2a1c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff0"
)

// startAgent runs an agent for cfg (Listen and the cookie key filled in
// when empty) behind a loopback server and returns its base URL.
func startAgent(t testing.TB, cfg agent.Config) (string, *agent.Agent) {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.CookieEncryptionKey == nil {
		cfg.CookieEncryptionKey = agent.Keys{testKey}
	}
	a, err := agent.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	base := cfg.BasePath
	if base == "" {
		base = agent.DefaultBasePath
	}
	return srv.URL + base, a
}

// portcullisConfig is an agent for the test authorization server's
// confidential web client, the App server standing in for the app.
func portcullisConfig(as *authservertest.Server) agent.Config {
	return agent.Config{
		Issuer: as.URL, ClientID: as.WebClientID, ClientSecret: as.WebClientSecret,
		RedirectURI: as.RedirectURI, PostLogoutRedirectURI: as.App.URL + "/",
		Scope:             "openid profile email offline_access list:users",
		TrustedWebOrigins: []string{as.App.URL},
	}
}

// browser is a cookie-keeping client that calls the agent as the app's
// page would (Origin, the CSRF header) and stops at the redirect URI, as a
// browser lands on the app there.
type browser struct {
	t        testing.TB
	c        *http.Client
	agent    string
	origin   string
	redirect string
}

func newBrowser(t testing.TB, agentURL string, cfg agent.Config) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, agent: agentURL, origin: cfg.TrustedWebOrigins[0], redirect: cfg.RedirectURI}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), b.redirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the JSON body into v.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
}

// code is the code member of an error answer.
func (a answer) code(t testing.TB) string {
	t.Helper()
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	a.decode(t, &e)
	if e.Message == "" {
		t.Errorf("error answer without a message: %s", a.body)
	}
	return e.Code
}

// cleared returns the names of the cookies the answer deletes.
func (a answer) cleared() []string {
	var names []string
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.MaxAge < 0 {
			names = append(names, c.Name)
		}
	}
	return names
}

// do sends a request; change, if given, may alter it last.
func (b *browser) do(method, url string, body any, change ...func(*http.Request)) answer {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if strings.HasPrefix(url, b.agent) {
		req.Header.Set("Origin", b.origin)
		if method != http.MethodGet {
			req.Header.Set("Token-Handler-Version", "1")
			req.Header.Set("Content-Type", "application/json")
		}
	}
	for _, f := range change {
		f(req)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: out}
}

// post and get call an agent endpoint.
func (b *browser) post(path string, body any, change ...func(*http.Request)) answer {
	return b.do(http.MethodPost, b.agent+path, body, change...)
}

func (b *browser) get(path string, change ...func(*http.Request)) answer {
	return b.do(http.MethodGet, b.agent+path, nil, change...)
}

// start calls /login/start and returns the authorization request URL.
func (b *browser) start(extra ...map[string]string) string {
	b.t.Helper()
	var body any
	if len(extra) > 0 {
		var params []map[string]string
		for k, v := range extra[0] {
			params = append(params, map[string]string{"key": k, "value": v})
		}
		body = map[string]any{"extraParams": params}
	}
	a := b.post("/login/start", body)
	if a.status != http.StatusOK {
		b.t.Fatalf("/login/start: %d %s", a.status, a.body)
	}
	var out struct {
		URL string `json:"authorizationRequestUrl"`
	}
	a.decode(b.t, &out)
	return out.URL
}

// landing follows an authorization request to the redirect URI, signing
// in on the login page if one is shown, and returns the page URL the
// browser lands on.
func (b *browser) landing(authURL, username, password string) string {
	b.t.Helper()
	a := b.do(http.MethodGet, authURL, nil)
	if a.status == http.StatusOK && bytes.Contains(a.body, []byte(`name="password"`)) {
		form := authservertest.HiddenFields(string(a.body))
		form.Set("username", username)
		form.Set("password", password)
		// The form posts to "login" beside the authorization endpoint.
		login, err := url.Parse(authURL)
		if err != nil {
			b.t.Fatal(err)
		}
		login.Path, login.RawQuery = "/login", ""
		a = b.do(http.MethodPost, login.String(), nil, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(form.Encode()))
			r.ContentLength = int64(len(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		})
	}
	loc := a.header.Get("Location")
	if a.status/100 != 3 || !strings.HasPrefix(loc, b.redirect) {
		b.t.Fatalf("want a redirect to %s, got %d %s: %.300s", b.redirect, a.status, loc, a.body)
	}
	return loc
}

// loginState is the answer of /login/end.
type loginState struct {
	Handled    bool   `json:"handled"`
	IsLoggedIn bool   `json:"isLoggedIn"`
	ExpiresIn  *int64 `json:"accessTokenExpiresIn"`
}

// end calls /login/end with pageURL and wants 200.
func (b *browser) end(pageURL string) loginState {
	b.t.Helper()
	a := b.post("/login/end", map[string]string{"pageUrl": pageURL})
	if a.status != http.StatusOK {
		b.t.Fatalf("/login/end: %d %s", a.status, a.body)
	}
	var s loginState
	a.decode(b.t, &s)
	return s
}

// signIn runs a whole login and returns its /login/end answer.
func (b *browser) signIn(username, password string) loginState {
	b.t.Helper()
	return b.end(b.landing(b.start(), username, password))
}

// cookie returns the value of the named cookie the browser would send to
// path on the agent's host.
func (b *browser) cookie(name, path string) string {
	u, _ := url.Parse(b.agent)
	u.Path = path
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
