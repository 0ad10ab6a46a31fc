package signin_test

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// clock is the injected time of a test server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the wall clock's second: the store's single-use
// marks (store.UseOnce) expire by the wall clock, so a clock in the past
// would make every mark already expired.
func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer keeps what the server logs, for tests that search it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// accountServer starts a server with both kinds of factor enabled
// (mfa.required when required) on clock c, logging into the returned
// buffer. Its relying party is localhost, as the browser tests', so that
// the pages offer passkeys (which no test here registers).
func accountServer(t *testing.T, c *clock, required bool) (*authservertest.Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	as := authservertest.NewLogged(t, logs, func(cfg *authserver.Config) {
		cfg.Now = c.Now
		enableMFA(t, cfg, required)
		u, _ := url.Parse(cfg.Issuer)
		enablePasskeys(t, cfg, "http://localhost:"+u.Port())
	})
	return as, logs
}

// browser is a person at a browser without JavaScript, signed in to as;
// it follows no redirect, so tests see each.
type browser struct {
	t  *testing.T
	as *authservertest.Server
	c  *http.Client
}

// signIn signs in as the test user through the web client (no consent
// page) and returns the browser holding the session.
func signIn(t *testing.T, as *authservertest.Server) *browser {
	t.Helper()
	b, status, body, loc := startSignIn(t, as)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, as.RedirectURI) {
		t.Fatalf("login: %d to %q, want the client: %s", status, loc, body)
	}
	return b
}

// codeVerifier is the PKCE verifier of RFC 7636 appendix B, whose
// challenge the sign-ins send.
const codeVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

// startSignIn asks the web client's authorization in a new browser and
// posts the test user's password; it returns the browser and the
// login's answer: a redirect to the client or to a page the sign-in needs
// first, or such a page itself.
func startSignIn(t *testing.T, as *authservertest.Server) (b *browser, status int, body, location string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b = &browser{t: t, as: as, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	q := url.Values{"response_type": {"code"}, "client_id": {as.WebClientID}, "redirect_uri": {as.RedirectURI}, "scope": {"openid"},
		"state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	status, body, _ = b.get("/authorize?" + q.Encode())
	if status != http.StatusOK {
		t.Fatalf("authorize: %d %s", status, body)
	}
	form := formFields(t, body, "login", 0) // not the passkey form's
	form.Set("username", as.Username)
	form.Set("password", as.Password)
	status, body, location = b.post("/login", form)
	return b, status, body, location
}

func (b *browser) get(path string) (status int, body, location string) {
	b.t.Helper()
	resp, err := b.c.Get(b.as.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return answer(b.t, resp)
}

func (b *browser) post(path string, form url.Values) (status int, body, location string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.as.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return answer(b.t, resp)
}

func answer(t *testing.T, resp *http.Response) (int, string, string) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// formRE finds a page's forms by their action.
var formRE = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)

// formFields returns the hidden fields of the n-th form (from 0) of body
// whose action ends with action.
func formFields(t *testing.T, body, action string, n int) url.Values {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(body, -1) {
		if strings.HasSuffix(html.UnescapeString(m[1]), action) {
			if n == 0 {
				return authservertest.HiddenFields(m[2])
			}
			n--
		}
	}
	t.Fatalf("no form %d posting to %s in %s", n, action, body)
	return nil
}

var secretRE = regexp.MustCompile(`<code class="secret">([^<]+)</code>`)

// enrolTOTP adds an authenticator app named name from the account page
// and returns its secret and the page that followed (the recovery codes,
// the first time).
func (b *browser) enrolTOTP(c *clock, name string) (secret, next string) {
	b.t.Helper()
	return b.enrolTOTPAt(c, "/account/enrol?kind=totp", name)
}

// enrolTOTPAt adds an authenticator app from the enrolment page at path,
// as enrolTOTP does.
func (b *browser) enrolTOTPAt(c *clock, path, name string) (secret, next string) {
	b.t.Helper()
	status, body, _ := b.get(path)
	if status != http.StatusOK {
		b.t.Fatalf("enrol page: %d %s", status, body)
	}
	m := secretRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no secret on %s", body)
	}
	secret = strings.ReplaceAll(m[1], " ", "")
	form := formFields(b.t, body, "account/enrol/totp", 0)
	form.Set("name", name)
	form.Set("code", code(b.t, secret, c.Now()))
	status, next, loc := b.post("/account/enrol/totp", form)
	if status != http.StatusOK && status != http.StatusSeeOther {
		b.t.Fatalf("enrol: %d to %q: %s", status, loc, next)
	}
	return secret, next
}

// code is secret's TOTP code at t (RFC 6238: SHA-1, 6 digits, 30 s).
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var codeRE = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)

// recoveryCodes are the codes a page shows.
func recoveryCodes(body string) []string {
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}
