package github

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// fakeGitHub serves GitHub's OAuth endpoints and the REST API routes the
// connector reads, for one person, as GitHub answers them.
type fakeGitHub struct {
	*httptest.Server
	t *testing.T
	// The person: their /user, /user/emails, /user/orgs and /user/teams.
	user   map[string]any
	emails []map[string]any
	orgs   []string
	teams  [][2]string // org, slug
	// fail answers this path with this status; tokenBody replaces the
	// token endpoint's answer.
	fail      map[string]int
	tokenBody string

	mu        sync.Mutex
	challenge string // of the last authorization request
	requests  []string
}

const (
	ghClient, ghSecret = "gh-client", "gh-secret"
	ghToken            = "gho_upstream_token"
	pageSize           = 2 // the fake's pages are small, to exercise paging
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, fail: map[string]int{},
		user: map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": nil},
		emails: []map[string]any{
			{"email": "octo@personal.example", "primary": false, "verified": true},
			{"email": "octocat@github.example", "primary": true, "verified": true},
		},
		orgs:  []string{"github", "octo-org", "acme"},
		teams: [][2]string{{"github", "security"}, {"octo-org", "core"}, {"acme", "ops"}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.challenge = r.URL.Query().Get("code_challenge")
		f.mu.Unlock()
	})
	mux.HandleFunc("POST /login/oauth/access_token", f.token)
	mux.HandleFunc("GET /api/v3/user", f.api(func(p int) any {
		if p > 1 {
			return nil
		}
		return f.user
	}))
	mux.HandleFunc("GET /api/v3/user/emails", f.api(func(p int) any { return page(f.emails, p) }))
	mux.HandleFunc("GET /api/v3/user/orgs", f.api(func(p int) any {
		var out []map[string]any
		for _, o := range page(f.orgs, p) {
			out = append(out, map[string]any{"login": o, "id": 1})
		}
		return out
	}))
	mux.HandleFunc("GET /api/v3/user/teams", f.api(func(p int) any {
		var out []map[string]any
		for _, t := range page(f.teams, p) {
			out = append(out, map[string]any{"slug": t[1], "name": t[1], "organization": map[string]any{"login": t[0]}})
		}
		return out
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// token checks the exchange as GitHub does: credentials in the body, the
// code, PKCE.
func (f *fakeGitHub) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s, ok := f.fail[r.URL.Path]; ok {
		w.WriteHeader(s)
		return
	}
	if f.tokenBody != "" {
		fmt.Fprint(w, f.tokenBody)
		return
	}
	f.mu.Lock()
	challenge := f.challenge
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if r.PostFormValue("client_id") != ghClient || r.PostFormValue("client_secret") != ghSecret ||
		r.PostFormValue("code") != "gh-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
		// GitHub answers a bad code with 200 and an error.
		fmt.Fprint(w, `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`)
		return
	}
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","scope":"read:user,user:email,read:org"}`, ghToken)
}

// api serves one route: the token and headers checked, pages linked.
func (f *fakeGitHub) api(answer func(page int) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.URL.RequestURI())
		f.mu.Unlock()
		if s, ok := f.fail[r.URL.Path]; ok {
			w.WriteHeader(s)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+ghToken || r.Header.Get("Accept") != "application/vnd.github+json" ||
			r.Header.Get("X-GitHub-Api-Version") != apiVersion {
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
		json.NewEncoder(w).Encode(body)
	}
}

// page returns page p (from 1) of s, pageSize long.
func page[T any](s []T, p int) []T {
	lo := min((p-1)*pageSize, len(s))
	return s[lo:min(lo+pageSize, len(s))]
}
