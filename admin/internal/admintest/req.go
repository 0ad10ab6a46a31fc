package admintest

import (
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin"
)

// Req is a shorthand request to the management API: a path below
// admin.PathPrefix and the scope of the "admin" client's token.
type Req struct {
	Method, Path string // Path is below admin.PathPrefix: "users/x"
	Scope        string // the token's scope; empty sends no token
	Body         string
	ContentType  string // default application/json when there is a body
	IfMatch      string
}

// ScopedToken returns an access token of the file's "admin" client
// (which may have every admin scope) with scope (space-separated),
// fetched once per scope and environment.
func (e *Env) ScopedToken(t testing.TB, scope string) string {
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

// Send sends q through the conformance check and returns the answer.
func (e *Env) Send(t testing.TB, q Req) Answer {
	t.Helper()
	c := Call{Method: q.Method, Path: admin.PathPrefix + q.Path, ContentType: q.ContentType,
		Header: map[string]string{"If-Match": q.IfMatch}}
	if q.Body != "" {
		c.Body = q.Body
	}
	if q.Scope != "" {
		c.Token = e.ScopedToken(t, q.Scope)
	}
	return e.Do(t, c)
}

// Must sends q and fails the test unless the answer has status want.
func (e *Env) Must(t testing.TB, q Req, want int) Answer {
	t.Helper()
	a := e.Send(t, q)
	if a.Status != want {
		t.Fatalf("%s %s: %d %s, want %d", q.Method, q.Path, a.Status, a.Body, want)
	}
	return a
}

// Names reports whether the problem names field.
func Names(p admin.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// BigBody is a JSON object larger than the API's 64 KiB bound.
var BigBody = `{"username":"` + strings.Repeat("x", 70<<10) + `"}`
