package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/github/githubtest"
)

const callback = "https://portcullis.example/connectors/github/callback"

// signIn runs Start, the browser's visit to the authorize endpoint (which
// records the PKCE challenge and redirects back with githubtest.Code and
// the state), the callback's query, which query may change, and Finish.
func signIn(t *testing.T, f *githubtest.Server, cfg Config, query func(url.Values)) (connectors.Identity, error) {
	t.Helper()
	cfg.ClientID, cfg.ClientSecret = githubtest.ClientID, githubtest.ClientSecret
	cfg.BaseURL, cfg.APIURL = f.URL, f.URL+"/api/v3"
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authURL, st, err := c.Start(ctx, callback, connectors.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), callback+"?") {
		t.Fatalf("authorize: %d to %q, want the callback", resp.StatusCode, back)
	}
	q := back.Query()
	if q.Get("code") != githubtest.Code || q.Get("state") != st.State {
		t.Fatalf("redirected back with %v", q)
	}
	if query != nil {
		query(q)
	}
	return c.Finish(ctx, callback, st, q)
}

// TestGitHub signs in people with different profiles and settings, and
// answers with faults.
func TestGitHub(t *testing.T) {
	no := false
	for _, tc := range []struct {
		name  string
		fake  func(*githubtest.Server)
		cfg   Config
		query func(url.Values)
		want  error
		check func(*testing.T, connectors.Identity)
	}{
		{name: "member with a verified primary email", check: func(t *testing.T, id connectors.Identity) {
			groups := []string{"github", "octo-org", "acme", "github:security", "octo-org:core", "acme:ops"}
			if id.Subject != "583231" || id.Username != "octocat" || id.Name != "The Octocat" ||
				id.Email != "octocat@github.example" || !id.EmailVerified || !slices.Equal(id.Groups, groups) {
				t.Errorf("identity = %+v, want octocat's with groups %v", id, groups)
			}
		}},
		{name: "only email unverified", fake: func(f *githubtest.Server) {
			f.Emails = []map[string]any{{"email": "new@example.com", "primary": true, "verified": false}}
		}, check: func(t *testing.T, id connectors.Identity) {
			if id.Email != "new@example.com" || id.EmailVerified {
				t.Errorf("email %q verified %v, want new@example.com unverified", id.Email, id.EmailVerified)
			}
		}},
		{name: "no email listed: the public one, unverified", fake: func(f *githubtest.Server) {
			f.Emails, f.User["email"] = nil, "public@example.com"
		}, check: func(t *testing.T, id connectors.Identity) {
			if id.Email != "public@example.com" || id.EmailVerified {
				t.Errorf("email %q verified %v, want public@example.com unverified", id.Email, id.EmailVerified)
			}
		}},
		{name: "member of an allowed org, any case: its groups only", cfg: Config{Orgs: []string{"Octo-Org"}}, check: func(t *testing.T, id connectors.Identity) {
			if !slices.Equal(id.Groups, []string{"octo-org", "octo-org:core"}) {
				t.Errorf("groups = %v, want octo-org's only", id.Groups)
			}
		}},
		{name: "outside the allowed orgs", cfg: Config{Orgs: []string{"other-org"}}, want: connectors.ErrRefused},
		{name: "teams not as groups", cfg: Config{TeamsAsGroups: &no}, check: func(t *testing.T, id connectors.Identity) {
			if !slices.Equal(id.Groups, []string{"github", "octo-org", "acme"}) {
				t.Errorf("groups = %v, want the orgs only", id.Groups)
			}
		}},
		{name: "state of another sign-in", query: func(q url.Values) { q.Set("state", "other") }, want: connectors.ErrRefused},
		{name: "user denied", query: func(q url.Values) { q.Set("error", "access_denied") }, want: connectors.ErrRefused},
		{name: "bad code: 200 with an error", query: func(q url.Values) { q.Set("code", "stolen") }, want: connectors.ErrRefused},
		{name: "token response without a token", fake: func(f *githubtest.Server) { f.TokenBody = `{"token_type":"bearer"}` }, want: connectors.ErrRefused},
		{name: "token response not JSON", fake: func(f *githubtest.Server) { f.TokenBody = `<html>` }, want: connectors.ErrRefused},
		{name: "token endpoint 502", fake: func(f *githubtest.Server) { f.Fail["/login/oauth/access_token"] = http.StatusBadGateway }, want: connectors.ErrUpstream},
		{name: "/user 500", fake: func(f *githubtest.Server) { f.Fail["/api/v3/user"] = http.StatusInternalServerError }, want: connectors.ErrUpstream},
		{name: "/user/teams 503", fake: func(f *githubtest.Server) { f.Fail["/api/v3/user/teams"] = http.StatusServiceUnavailable }, want: connectors.ErrUpstream},
		{name: "/user/orgs 429", fake: func(f *githubtest.Server) { f.Fail["/api/v3/user/orgs"] = http.StatusTooManyRequests }, want: connectors.ErrUpstream},
		{name: "/user/emails 401", fake: func(f *githubtest.Server) { f.Fail["/api/v3/user/emails"] = http.StatusUnauthorized }, want: connectors.ErrRefused},
		{name: "/user without an id", fake: func(f *githubtest.Server) { delete(f.User, "id") }, want: connectors.ErrRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := githubtest.New(t)
			if tc.fake != nil {
				tc.fake(f)
			}
			id, err := signIn(t, f, tc.cfg, tc.query)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Finish: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Finish: err = %v, want %v", err, tc.want)
			case tc.want != nil && strings.Contains(err.Error(), githubtest.Token):
				t.Fatalf("the error tells the token: %v", err)
			case tc.check != nil:
				tc.check(t, id)
			}
		})
	}
}

// TestPaging: lists are read page by page, and no further than maxPages.
func TestPaging(t *testing.T) {
	f := githubtest.New(t)
	f.Orgs = nil
	for i := range 3 * maxPages * githubtest.PageSize {
		f.Orgs = append(f.Orgs, "org"+strings.Repeat("x", i))
	}
	id, err := signIn(t, f, Config{TeamsAsGroups: new(bool)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Groups) != maxPages*githubtest.PageSize {
		t.Errorf("%d groups, want the %d of the first %d pages", len(id.Groups), maxPages*githubtest.PageSize, maxPages)
	}
}

// TestGitHubDown: GitHub unreachable at the callback.
func TestGitHubDown(t *testing.T) {
	f := githubtest.New(t)
	c, _ := New(Config{ClientID: githubtest.ClientID, ClientSecret: githubtest.ClientSecret, BaseURL: f.URL, APIURL: f.URL + "/api/v3"}, nil)
	_, st, _ := c.Start(context.Background(), callback, connectors.StartOptions{})
	f.Close()
	_, err := c.Finish(context.Background(), callback, st, url.Values{"code": {githubtest.Code}, "state": {st.State}})
	if !errors.Is(err, connectors.ErrUpstream) {
		t.Errorf("err = %v, want ErrUpstream", err)
	}
}

// TestStart: the authorization request GitHub gets.
func TestStart(t *testing.T) {
	c, err := New(Config{ClientID: githubtest.ClientID, ClientSecret: githubtest.ClientSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	authURL, st, err := c.Start(context.Background(), callback, connectors.StartOptions{LoginHint: "octocat"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "https://github.com/login/oauth/authorize" || q.Get("client_id") != githubtest.ClientID ||
		q.Get("state") != st.State || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("login") != "octocat" || q.Get("scope") != "read:user user:email read:org" || q.Get("redirect_uri") != callback {
		t.Errorf("authorization URL %s", authURL)
	}
}

// TestValidate: each wrong setting is named by its YAML key.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		cfg        Config
	}{
		{"good", "", Config{ClientID: "a", ClientSecret: "b", APIURL: "https://ghe.example/api/v3"}},
		{"no client_id", "client_id", Config{ClientSecret: "b"}},
		{"no client_secret", "client_secret", Config{ClientID: "a"}},
		{"http base_url", "base_url", Config{ClientID: "a", ClientSecret: "b", BaseURL: "http://ghe.example"}},
		{"api_url with query", "api_url", Config{ClientID: "a", ClientSecret: "b", APIURL: "https://ghe.example/?x=1"}},
		{"empty org", "orgs", Config{ClientID: "a", ClientSecret: "b", Orgs: []string{""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestNextPageElsewhere: a Link to another host is not followed with the
// token.
func TestNextPageElsewhere(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.String())
		w.Header().Set("Link", `<https://elsewhere.example/user/orgs?page=2>; rel="next"`)
		w.Write([]byte(`[{"login":"a"}]`))
	}))
	defer srv.Close()
	_, err := list[org](context.Background(), api{client: srv.Client(), root: srv.URL, token: githubtest.Token}, "/user/orgs")
	if !errors.Is(err, connectors.ErrRefused) || len(got) != 1 {
		t.Errorf("err = %v after %v, want ErrRefused after one request", err, got)
	}
}

// TestFakeAPIVersion: the fake GitHub requires the API version that the
// connector sends.
func TestFakeAPIVersion(t *testing.T) {
	if apiVersion != githubtest.APIVersion {
		t.Errorf("connector asks for %s, githubtest serves %s", apiVersion, githubtest.APIVersion)
	}
}
