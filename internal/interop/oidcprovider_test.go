package interop_test

import (
	"bufio"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/oidc"
)

// The upstream client of connectors/oidc at node-oidc-provider, and where
// the provider returns (a sign-in stops there, so nothing listens).
const (
	upstreamClient   = "portcullis"
	upstreamSecret   = "upstream-secret-0123456789abcdef"
	upstreamCallback = "https://portcullis.example/login/callback"
)

// startProvider runs provider.mjs, node-oidc-provider with one client and
// the account "ann", and returns its issuer once it listens.
func startProvider(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(node(t), "provider.mjs", upstreamClient, upstreamSecret, upstreamCallback)
	cmd.Dir = nodeDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("oidc-provider ended before it listened: %s", stderr.String())
	}
	issuer, ok := strings.CutPrefix(lines.Text(), "ready ")
	if !ok {
		t.Fatalf("oidc-provider printed %q: %s", lines.Text(), stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	return issuer
}

// formRE finds the development interactions' form: its action and the
// prompt (login or consent) it answers.
var formRE = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"[^>]*>.*?name="prompt" value="(\w+)"`)

// providerSignIn is a person at the provider's pages for authURL: it signs
// in as account, grants consent, and returns the query the provider sends
// to the callback.
func providerSignIn(t *testing.T, authURL, account string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), upstreamCallback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	for range 4 {
		if err != nil {
			t.Fatalf("at the provider: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, upstreamCallback) {
			back, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			return back.Query()
		}
		m := formRE.FindSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("the provider answered %d without a sign-in or consent form: %.500s", resp.StatusCode, body)
		}
		action, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"prompt": {string(m[2])}}
		if string(m[2]) == "login" {
			form.Set("login", account)
			form.Set("password", "any")
		}
		resp, err = browser.PostForm(action.String(), form)
	}
	t.Fatal("the provider did not return to the callback after sign-in and consent")
	return nil
}

// connector is connectors/oidc configured for the provider at issuer with
// secret.
func connector(t *testing.T, issuer, secret string) *oidc.Connector {
	t.Helper()
	c, err := oidc.New(oidc.Config{Issuer: issuer, ClientID: upstreamClient, ClientSecret: secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOIDCProviderUpstream signs in through connectors/oidc at
// node-oidc-provider: discovery, PKCE, nonce, the RFC 9207 iss parameter
// it sends, client_secret_basic at its token endpoint, its RS256 ID token.
func TestOIDCProviderUpstream(t *testing.T) {
	issuer := startProvider(t)
	c := connector(t, issuer, upstreamSecret)
	ctx := context.Background()
	authURL, st, err := c.Start(ctx, upstreamCallback, connectors.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	back := providerSignIn(t, authURL, "ann")
	if back.Get("iss") != issuer {
		t.Errorf("the provider's iss parameter %q, want %q (RFC 9207)", back.Get("iss"), issuer)
	}
	id, err := c.Finish(ctx, upstreamCallback, st, back)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := connectors.Identity{Subject: "ann", Email: "ann@example.com", EmailVerified: true, Name: "Ann Example"}
	if id.Subject != want.Subject || id.Email != want.Email || id.EmailVerified != want.EmailVerified || id.Name != want.Name {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
}

// TestOIDCProviderUpstreamRefused: answers connectors/oidc must refuse,
// given by (or to) a real provider.
func TestOIDCProviderUpstreamRefused(t *testing.T) {
	issuer := startProvider(t)
	for _, tc := range []struct {
		name   string
		secret string
		// answer changes the provider's answer before Finish.
		answer func(q url.Values)
		// twice redeems the answer once before the checked Finish.
		twice bool
	}{
		{name: "wrong client secret", secret: "not-the-secret-0123456789abcdef"},
		{name: "iss parameter removed", secret: upstreamSecret, answer: func(q url.Values) { q.Del("iss") }},
		{name: "iss parameter of another issuer", secret: upstreamSecret, answer: func(q url.Values) { q.Set("iss", "https://evil.example") }},
		{name: "code redeemed twice", secret: upstreamSecret, twice: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connector(t, issuer, tc.secret)
			ctx := context.Background()
			authURL, st, err := c.Start(ctx, upstreamCallback, connectors.StartOptions{})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			back := providerSignIn(t, authURL, "ann")
			if tc.answer != nil {
				tc.answer(back)
			}
			if tc.twice {
				if _, err := c.Finish(ctx, upstreamCallback, st, back); err != nil {
					t.Fatalf("first Finish: %v", err)
				}
			}
			if _, err := c.Finish(ctx, upstreamCallback, st, back); !errors.Is(err, connectors.ErrRefused) {
				t.Errorf("Finish: err = %v, want ErrRefused", err)
			}
		})
	}
}
