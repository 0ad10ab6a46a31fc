package signin_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/mfa"
)

// enrolLinkRE finds the enrolment page's link to the TOTP enrolment.
var enrolLinkRE = regexp.MustCompile(`href="([^"]*account/enrol\?kind=totp[^"]*)"`)

// nextRE finds the recovery codes page's way on.
var nextRE = regexp.MustCompile(`<a class="button" href="([^"]+)">I saved them</a>`)

// enrolOnSignIn signs the test user in to the web client under a policy
// that needs a second factor the user does not have yet: the login sends
// the browser to enrol one, which it does with an authenticator app named
// name; the recovery codes page leads back to the sign-in, which sends
// the browser to the client. It returns the browser, the app's secret,
// the codes shown and where the browser landed.
func enrolOnSignIn(t *testing.T, as *authservertest.Server, c *clock, name string) (b *browser, secret string, codes []string, callback *url.URL) {
	t.Helper()
	b, status, body, loc := startSignIn(t, as)
	u, err := url.Parse(loc)
	if status != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc, as.URL+"/account/enrol?") || !strings.HasPrefix(u.Query().Get("return"), "/authorize/resume?request=") {
		t.Fatalf("login: %d to %q, want the enrolment page returning to the sign-in: %s", status, loc, body)
	}
	status, body, _ = b.get(strings.TrimPrefix(loc, as.URL))
	// With both kinds allowed the page offers a choice; with TOTP alone
	// it is the TOTP page.
	link := u
	if m := enrolLinkRE.FindStringSubmatch(body); m != nil {
		// The link keeps the return, relative to /account/enrol.
		link, err = u.Parse(html.UnescapeString(m[1]))
	} else if secretRE.FindString(body) == "" {
		t.Fatalf("enrolment page: %d %s", status, body)
	}
	if status != http.StatusOK || err != nil || link.Query().Get("return") != u.Query().Get("return") {
		t.Fatalf("enrolment page %d: the TOTP link %q loses the return %q", status, link, u.Query().Get("return"))
	}
	secret, body = b.enrolTOTPAt(c, link.RequestURI(), name)
	codes = recoveryCodes(body)
	n := nextRE.FindStringSubmatch(body)
	if len(codes) != mfa.RecoveryCodeCount || n == nil {
		t.Fatalf("after enrolment, want the recovery codes and a way on: %s", body)
	}
	next := html.UnescapeString(n[1])
	if next != as.URL+u.Query().Get("return") {
		t.Fatalf("the codes page goes on to %q, want the sign-in %q", next, u.Query().Get("return"))
	}
	status, body, loc = b.get(strings.TrimPrefix(next, as.URL))
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, as.RedirectURI) {
		t.Fatalf("resume after enrolment: %d to %q: %s", status, loc, body)
	}
	callback, _ = url.Parse(loc)
	return b, secret, codes, callback
}

// tokenClaims are the claims saying how the user signed in.
type tokenClaims struct {
	ACR string   `json:"acr"`
	AMR []string `json:"amr"`
}

// TestAccountEnrolOnSignIn: under mfa.required a user without a factor is
// sent from the login to the enrolment page, adds an authenticator app
// (codes from the server's injected clock), sees the recovery codes and
// goes back to the sign-in, whose code gives tokens saying mfa with otp:
// the ID token and the introspected access token. The log holds neither
// the secret, the code typed nor a recovery code.
func TestAccountEnrolOnSignIn(t *testing.T) {
	c := newClock()
	as, logs := accountServer(t, c, true)
	_, secret, codes, callback := enrolOnSignIn(t, as, c, "Phone")
	q := callback.Query()
	if q.Get("state") != "s" || q.Get("code") == "" {
		t.Fatalf("callback %s, want a code and the state", callback)
	}

	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {as.RedirectURI}, "code_verifier": {codeVerifier}}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	postJSON(t, as, "/token", form, &tok)
	parts := strings.Split(tok.IDToken, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token %q is not a JWS", tok.IDToken)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var id, introspected tokenClaims
	if err := json.Unmarshal(payload, &id); err != nil {
		t.Fatal(err)
	}
	postJSON(t, as, "/introspect", url.Values{"token": {tok.AccessToken}}, &introspected)
	for name, got := range map[string]tokenClaims{"ID token": id, "access token": introspected} {
		if got.ACR != mfa.ACRMultiFactor || !slices.Contains(got.AMR, mfa.AMROTP) || !slices.Contains(got.AMR, mfa.AMRPassword) {
			t.Errorf("%s: acr %q amr %v, want mfa with pwd and otp", name, got.ACR, got.AMR)
		}
	}
	for _, s := range append([]string{secret, code(t, secret, c.Now())}, codes...) {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds a secret or code %q", s)
		}
	}
}

// postJSON posts form to the server's endpoint at path as the web client
// (client_secret_basic) and decodes the JSON answer into out.
func postJSON(t *testing.T, as *authservertest.Server, path string, form url.Values, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, as.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(as.WebClientID), url.QueryEscape(as.WebClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		status, body, _ := answer(t, resp)
		t.Fatalf("%s: %d %s", path, status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestAccountPasskeysOff: behind an IP address issuer with no relying
// party configured, passkeys are off: the pages offer none, and a passkey
// posted to the factor page anyway is refused with the page again, not a
// failure of the server.
func TestAccountPasskeysOff(t *testing.T) {
	c := newClock()
	as := authservertest.New(t, func(cfg *authserver.Config) {
		cfg.Now = c.Now
		enableMFA(t, cfg, true)
	})
	_, _, _, _ = enrolOnSignIn(t, as, c, "Phone")
	b, status, body, _ := startSignIn(t, as)
	if status != http.StatusOK || strings.Contains(body, "data-passkey") {
		t.Fatalf("factor page: %d, want no passkey: %s", status, body)
	}
	form := formFields(t, body, "login/factor", 0)
	form.Set("method", "passkey")
	form.Set("state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") // base64, so that it is opened
	form.Set("response", "{}")
	if status, body, _ := b.post("/login/factor", form); status != http.StatusBadRequest {
		t.Errorf("a passkey posted anyway: %d, want 400: %s", status, body)
	}
}
