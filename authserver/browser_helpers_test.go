package authserver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// browser is a cookie-keeping HTTP client that stops at the app's redirect
// URI, standing in for a person's browser where JavaScript is not needed
// (the pages need none).
type browser struct {
	t  *testing.T
	as *authservertest.Server
	c  *http.Client
}

func newBrowser(t *testing.T, as *authservertest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), as.App.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &browser{t: t, as: as, c: c}
}

// page is a response with its body read.
type page struct {
	status int
	header http.Header
	body   string
}

// location is where a redirect to the app points.
func (p page) location(t *testing.T) *url.URL {
	t.Helper()
	if p.status != http.StatusSeeOther {
		t.Fatalf("want a 303 redirect, got %d: %s", p.status, p.body)
	}
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login submits the login form on p.
func (b *browser) login(p page, username, password string) page {
	b.t.Helper()
	if !strings.Contains(p.body, `name="password"`) {
		b.t.Fatalf("not the login page (%d): %s", p.status, p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("username", username)
	form.Set("password", password)
	return b.post(b.as.URL+"/login", form)
}

// consent submits the consent form on p with the decision.
func (b *browser) consent(p page, decision string) page {
	b.t.Helper()
	if !strings.Contains(p.body, `name="decision"`) {
		b.t.Fatalf("not the consent page (%d): %s", p.status, p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("decision", decision)
	return b.post(b.as.URL+"/consent", form)
}

// flow is one authorization code flow of a client, driven with
// golang.org/x/oauth2.
type flow struct {
	conf     oauth2.Config
	verifier string
	state    string
	nonce    string
}

func webFlow(as *authservertest.Server, scopes ...string) *flow {
	return newFlow(as, as.WebClientID, as.WebClientSecret, scopes...)
}

func newFlow(as *authservertest.Server, id, secret string, scopes ...string) *flow {
	return &flow{
		conf: oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: as.RedirectURI, Scopes: scopes,
			Endpoint: oauth2.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"}},
		verifier: oauth2.GenerateVerifier(), state: oauth2.GenerateVerifier()[:20], nonce: oauth2.GenerateVerifier()[:20],
	}
}

func (f *flow) authURL(extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier), oauth2.SetAuthURLParam("nonce", f.nonce)}, extra...)
	return f.conf.AuthCodeURL(f.state, opts...)
}

// code checks an authorization response and returns its code.
func (f *flow) code(t *testing.T, as *authservertest.Server, u *url.URL) string {
	t.Helper()
	q := u.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization error: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != f.state || q.Get("iss") != as.Config.Issuer || q.Get("code") == "" {
		t.Fatalf("authorization response %s: want code, state %q and iss %q", u, f.state, as.Config.Issuer)
	}
	return q.Get("code")
}

func (f *flow) exchange(code string) (*oauth2.Token, error) {
	return f.conf.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
}

// signIn runs the flow through the login page and returns the code.
func (b *browser) signIn(f *flow, extra ...oauth2.AuthCodeOption) string {
	b.t.Helper()
	p := b.get(f.authURL(extra...))
	if p.status == http.StatusOK {
		p = b.login(p, b.as.Username, b.as.Password)
	}
	return f.code(b.t, b.as, p.location(b.t))
}

// signedIn signs the demo user in through the pages with a fresh browser
// and redeems the code of the web client, for tests that start from a
// user's tokens.
func signedIn(t *testing.T, as *authservertest.Server, scopes ...string) (*browser, *flow, *oauth2.Token) {
	t.Helper()
	b := newBrowser(t, as)
	f := webFlow(as, scopes...)
	tok, err := f.exchange(b.signIn(f))
	if err != nil {
		t.Fatalf("sign in and redeem the code: %v", err)
	}
	return b, f, tok
}
