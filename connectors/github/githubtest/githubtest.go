// Package githubtest serves, in the test process, GitHub's OAuth
// endpoints (RFC 6749 with PKCE, RFC 7636) and the REST API routes that
// the github connector reads, for one person, as GitHub answers them: for
// the connector's tests and those of the sign-in pages that use it.
package githubtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// The OAuth app's credentials, the code that the authorize endpoint gives
// and the access token that the token endpoint gives for it.
const (
	ClientID, ClientSecret = "gh-client", "gh-secret"
	Code                   = "gh-code"
	Token                  = "gho_upstream_token"
	// APIVersion is the X-GitHub-Api-Version that the API routes require.
	APIVersion = "2022-11-28"
	// PageSize is the length of the fake's pages, small to exercise paging.
	PageSize = 2
)

// Server is a fake GitHub. BaseURL is its URL, APIURL its URL + "/api/v3"
// (GitHub Enterprise Server's layout). Change its fields before the
// sign-in; they are read at each request.
type Server struct {
	*httptest.Server
	// The person: their /user, /user/emails, /user/orgs and /user/teams.
	User   map[string]any
	Emails []map[string]any
	Orgs   []string
	Teams  [][2]string // org, slug
	// Fail answers this path with this status; TokenBody replaces the
	// token endpoint's answer.
	Fail      map[string]int
	TokenBody string

	mu        sync.Mutex
	challenge string // of the last authorization request
	requests  []string
}

// New starts a fake GitHub until the test ends, for octocat (id 583231,
// two verified emails, three organisations with a team in each).
func New(t testing.TB) *Server {
	f := &Server{Fail: map[string]int{},
		User: map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": nil},
		Emails: []map[string]any{
			{"email": "octo@personal.example", "primary": false, "verified": true},
			{"email": "octocat@github.example", "primary": true, "verified": true},
		},
		Orgs:  []string{"github", "octo-org", "acme"},
		Teams: [][2]string{{"github", "security"}, {"octo-org", "core"}, {"acme", "ops"}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", f.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", f.token)
	mux.HandleFunc("GET /api/v3/user", f.api(func(p int) any {
		if p > 1 {
			return nil
		}
		return f.User
	}))
	mux.HandleFunc("GET /api/v3/user/emails", f.api(func(p int) any { return page(f.Emails, p) }))
	mux.HandleFunc("GET /api/v3/user/orgs", f.api(func(p int) any {
		var out []map[string]any
		for _, o := range page(f.Orgs, p) {
			out = append(out, map[string]any{"login": o, "id": 1})
		}
		return out
	}))
	mux.HandleFunc("GET /api/v3/user/teams", f.api(func(p int) any {
		var out []map[string]any
		for _, t := range page(f.Teams, p) {
			out = append(out, map[string]any{"slug": t[1], "name": t[1], "organization": map[string]any{"login": t[0]}})
		}
		return out
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// APIURL is the REST API's root.
func (f *Server) APIURL() string { return f.URL + "/api/v3" }

// Requests returns the API requests so far (path and query).
func (f *Server) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// authorize records the PKCE challenge and, as GitHub does once the person
// has approved the app, redirects to redirect_uri with Code and the state.
func (f *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.challenge = q.Get("code_challenge")
	f.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || back.Scheme == "" || q.Get("client_id") != ClientID {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("code", Code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token checks the exchange as GitHub does: credentials in the body, the
// code, PKCE.
func (f *Server) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s, ok := f.Fail[r.URL.Path]; ok {
		w.WriteHeader(s)
		return
	}
	if f.TokenBody != "" {
		fmt.Fprint(w, f.TokenBody)
		return
	}
	f.mu.Lock()
	challenge := f.challenge
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if r.PostFormValue("client_id") != ClientID || r.PostFormValue("client_secret") != ClientSecret ||
		r.PostFormValue("code") != Code || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		// GitHub answers a bad code with 200 and an error.
		fmt.Fprint(w, `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`)
		return
	}
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","scope":"read:user,user:email,read:org"}`, Token)
}

// api serves one route: the token and headers checked, pages linked.
func (f *Server) api(answer func(page int) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.URL.RequestURI())
		f.mu.Unlock()
		if s, ok := f.Fail[r.URL.Path]; ok {
			w.WriteHeader(s)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+Token || r.Header.Get("Accept") != "application/vnd.github+json" ||
			r.Header.Get("X-GitHub-Api-Version") != APIVersion {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		p = max(p, 1)
		body := answer(p)
		if next, _ := answer(p + 1).([]map[string]any); len(next) > 0 {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?per_page=100&page=%d>; rel="next", <%s%s?page=1>; rel="first"`,
				f.URL, r.URL.Path, p+1, f.URL, r.URL.Path))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}
}

// page returns page p (from 1) of s, PageSize long.
func page[T any](s []T, p int) []T {
	lo := min((p-1)*PageSize, len(s))
	return s[lo:min(lo+PageSize, len(s))]
}
