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

// hiddenInput finds the hidden fields of the login form (the pending
// request's reference, the CSRF token).
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// SignIn is a person at a browser without JavaScript: it follows authURL
// (an authorization request to the server at issuer, this package's or a
// whole portcullis serve) to the login page, signs in as username with
// password, and returns where the server then sends the browser, which
// must be redirectURI with the authorization response in its query. The
// client must skip consent.
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
	form := url.Values{"username": {username}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(body), -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	resp, err = browser.PostForm(issuer+"/login", form)
	if err != nil {
		t.Fatalf("authservertest: sign-in: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") {
		t.Fatalf("authservertest: sign-in: %d to %q, want a redirect to %s", resp.StatusCode, resp.Header.Get("Location"), redirectURI)
	}
	return loc
}
