package authservertest

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// hiddenInput finds the hidden fields of the login and consent forms (the
// pending request's reference, the CSRF token).
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// SignIn is a person at a browser without JavaScript: it follows authURL
// (an authorization request to the server at issuer, this package's or a
// whole portcullis serve) to the login page, signs in as username with
// password, allows the client on the consent page if one is shown, and
// returns where the server then sends the browser, which must be
// redirectURI with the authorization response in its query.
func SignIn(t testing.TB, issuer, authURL, redirectURI, username, password string) *url.URL {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("authservertest: sign-in: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="password"`) {
		t.Fatalf("authservertest: sign-in: want the login page, got %d: %s", resp.StatusCode, body)
	}
	form := HiddenFields(string(body))
	form.Set("username", username)
	form.Set("password", password)
	resp = post(t, browser, issuer+"/login", form)
	if resp.StatusCode == http.StatusOK {
		// The consent page (the browser followed the 303 to it).
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `name="decision"`) {
			t.Fatalf("authservertest: sign-in: want the consent page or a redirect after login, got: %s", body)
		}
		form = HiddenFields(string(body))
		form.Set("decision", "allow")
		resp = post(t, browser, issuer+"/consent", form)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") {
		t.Fatalf("authservertest: sign-in: %d to %q, want a redirect to %s", resp.StatusCode, resp.Header.Get("Location"), redirectURI)
	}
	return loc
}

// HiddenFields returns the hidden fields of a page's form, such as the
// login page's pending request and CSRF token, for tests that submit the
// server's forms themselves. Of a field in several forms the first
// form's counts: the login page's password form comes before its
// passkey form, whose CSRF token is another.
func HiddenFields(body string) url.Values {
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		if name := html.UnescapeString(m[1]); !form.Has(name) {
			form.Set(name, html.UnescapeString(m[2]))
		}
	}
	return form
}

// post submits form to u with browser.
func post(t testing.TB, browser *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := browser.PostForm(u, form)
	if err != nil {
		t.Fatalf("authservertest: sign-in: %v", err)
	}
	return resp
}
