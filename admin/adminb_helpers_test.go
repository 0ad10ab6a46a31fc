package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// scopedToken returns an access token of the file's "admin" client (which
// may have every admin scope) with scope (space-separated), fetched once
// per scope and environment.
func (e *testEnv) scopedToken(t testing.TB, scope string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if tok, ok := e.scoped[scope]; ok {
		return tok
	}
	tok := e.Token(t, "admin", scope)
	e.scoped[scope] = tok
	return tok
}

// bNames reports whether the problem names field.
func bNames(p admin.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// bReq is a shorthand request to the management API: a path below
// PathPrefix and the scope of the admin client's token.
type bReq struct {
	method, path string // path is below PathPrefix: "users/x"
	scope        string // the token's scope; empty sends no token
	body         string
	contentType  string // default application/json when there is a body
	ifMatch      string
}

// send sends q through the conformance check and returns the answer.
func (e *testEnv) send(t testing.TB, q bReq) answer {
	t.Helper()
	c := call{method: q.method, path: admin.PathPrefix + q.path, contentType: q.contentType,
		header: map[string]string{"If-Match": q.ifMatch}}
	if q.body != "" {
		c.body = q.body
	}
	if q.scope != "" {
		c.token = e.scopedToken(t, q.scope)
	}
	return e.do(t, c)
}

// must sends q and fails the test unless the answer has status want.
func (e *testEnv) must(t testing.TB, q bReq, want int) answer {
	t.Helper()
	r := e.send(t, q)
	if r.status != want {
		t.Fatalf("%s %s: %d %s, want %d", q.method, q.path, r.status, r.body, want)
	}
	return r
}

// createUser adds a user through the API and returns it.
func (e *testEnv) createUser(t testing.TB, username string) registry.UserInfo {
	t.Helper()
	var u registry.UserInfo
	e.must(t, bReq{method: "POST", path: "users", scope: registry.ScopeUsersWrite,
		body: `{"username":"` + username + `","password":"correct horse battery","claims":{"email":"` + username + `@example.com"}}`},
		http.StatusCreated).decode(t, &u)
	return u
}

// grant stores a live grant of user at client, created at created.
func (e *testEnv) grant(t testing.TB, id, user, client string, created time.Time) {
	t.Helper()
	err := e.AS.Store.CreateGrant(context.Background(), store.Grant{ID: id, UserID: user, ClientID: client,
		CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// audit returns the stored audit events of type typ, newest first.
func (e *testEnv) audit(t testing.TB, typ string) []store.AuditEvent {
	t.Helper()
	evs, err := e.AS.Store.ListAudit(context.Background(), store.AuditFilter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// bigBody is a JSON object larger than the API's 64 KiB bound.
var bigBody = `{"username":"` + strings.Repeat("x", 70<<10) + `"}`
