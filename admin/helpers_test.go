package admin_test

import (
	"net/http"
	"testing"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/store"
)

// testEnv is the environment of admintest, which every test of the
// package uses, so every exchange of the suite is checked against the
// OpenAPI document.
type testEnv struct {
	*admintest.Env
}

// envOptions change the environment.
type envOptions struct {
	// registration mounts dynamic registration beside the API.
	registration bool
	// wrap, when set, wraps the store the management API uses.
	wrap func(store.Store) store.Store
	// console adds the console's built-in client, as serve does when
	// the console is enabled.
	console bool
}

func newEnv(t *testing.T, opts ...envOptions) *testEnv {
	t.Helper()
	var o envOptions
	for _, x := range opts {
		o = x
	}
	return &testEnv{Env: admintest.New(t, admintest.Options{Registration: o.registration, Wrap: o.wrap, Console: o.console})}
}

// call is one request to the API (admintest.Call).
type call struct {
	method, path string
	token        string
	// body is sent as JSON unless it is a []byte or string, sent as is.
	body        any
	contentType string
	header      map[string]string
}

// answer is what the server answered (admintest.Answer).
type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the body into v.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	admintest.Answer{Status: a.status, Header: a.header, Body: a.body}.Decode(t, v)
}

// problem decodes a problem answer.
func (a answer) problem(t testing.TB) admin.Problem {
	t.Helper()
	return admintest.Answer{Status: a.status, Header: a.header, Body: a.body}.Problem(t)
}

// do sends c through the conformance check.
func (e *testEnv) do(t testing.TB, c call) answer {
	t.Helper()
	a := e.Do(t, admintest.Call{Method: c.method, Path: c.path, Token: c.token, Body: c.body, ContentType: c.contentType, Header: c.header})
	return answer{status: a.Status, header: a.Header, body: a.Body}
}
