package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/registry"
)

// bRoute is one of the routes of users, grants, revocations, keys, audit,
// usage and anomalies, with the scope it needs and a valid body.
type bRoute struct {
	method, path, scope, body string
}

func bRoutes(userID string) []bRoute {
	return []bRoute{
		{"GET", "users", registry.ScopeUsersRead, ""},
		{"POST", "users", registry.ScopeUsersWrite, `{"username":"someone"}`},
		{"GET", "users/" + userID, registry.ScopeUsersRead, ""},
		{"PATCH", "users/" + userID, registry.ScopeUsersWrite, `{"claims":{"name":"A"}}`},
		{"DELETE", "users/" + userID, registry.ScopeUsersWrite, ""},
		{"PUT", "users/" + userID + "/password", registry.ScopeUsersWrite, `{"password":"long enough password"}`},
		{"GET", "users/" + userID + "/grants", registry.ScopeGrantsRead, ""},
		{"GET", "grants", registry.ScopeGrantsRead, ""},
		{"GET", "grants/g1", registry.ScopeGrantsRead, ""},
		{"DELETE", "grants/g1", registry.ScopeGrantsWrite, ""},
		{"POST", "revocations", registry.ScopeGrantsWrite, `{"jti":"x"}`},
		{"GET", "keys", registry.ScopeKeysRead, ""},
		{"POST", "keys/rotate", registry.ScopeKeysWrite, `{}`},
		{"GET", "audit", registry.ScopeAuditRead, ""},
		{"GET", "usage", registry.ScopeUsageRead, ""},
		{"GET", "anomalies", registry.ScopeUsageRead, ""},
	}
}

// TestBAuthorization: every route answers 401 without a token and 403
// insufficient_scope naming its scope for a token without it.
func TestBAuthorization(t *testing.T) {
	e := newEnv(t)
	for _, rt := range bRoutes("u1") {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := e.Send(t, admintest.Req{Method: rt.method, Path: rt.path, Body: rt.body})
			if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("without a token: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
			}
			other := registry.ScopeClientsRead
			r = e.Send(t, admintest.Req{Method: rt.method, Path: rt.path, Body: rt.body, Scope: other})
			ch := r.Header.Get("WWW-Authenticate")
			if r.Status != http.StatusForbidden || !strings.Contains(ch, `error="insufficient_scope"`) ||
				!strings.Contains(ch, `scope="`+rt.scope+`"`) {
				t.Errorf("with %s only: %d %q, want 403 naming %s", other, r.Status, ch, rt.scope)
			}
		})
	}
}

// TestBBodies: every route with a body refuses a wrong Content-Type (415),
// an oversized body (413), an unknown field and a body that is not JSON
// (400), with a problem.
func TestBBodies(t *testing.T) {
	e := newEnv(t)
	u := e.CreateUser(t, "bodies")
	for _, rt := range bRoutes(u.ID) {
		if rt.body == "" {
			continue
		}
		cases := []struct {
			name, body, contentType string
			want                    int
		}{
			{"wrong content type", rt.body, "text/plain", http.StatusUnsupportedMediaType},
			{"oversized", admintest.BigBody, "", http.StatusRequestEntityTooLarge},
			{"unknown field", `{"unknown_field":1}`, "", http.StatusBadRequest},
			{"not JSON", `{"username":`, "", http.StatusBadRequest},
		}
		for _, c := range cases {
			t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
				r := e.Send(t, admintest.Req{Method: rt.method, Path: rt.path, Scope: rt.scope, Body: c.body, ContentType: c.contentType})
				if r.Status != c.want {
					t.Fatalf("%d %s, want %d", r.Status, r.Body, c.want)
				}
				if p := r.Problem(t); p.Status != c.want {
					t.Errorf("problem status %d", p.Status)
				}
			})
		}
	}
}

// TestBPageParams: lists refuse a bad limit or cursor, naming it.
func TestBPageParams(t *testing.T) {
	e := newEnv(t)
	lists := []bRoute{
		{"GET", "users", registry.ScopeUsersRead, ""},
		{"GET", "grants", registry.ScopeGrantsRead, ""},
		{"GET", "audit", registry.ScopeAuditRead, ""},
		{"GET", "anomalies", registry.ScopeUsageRead, ""},
	}
	for _, rt := range lists {
		for _, c := range []struct{ name, query, field string }{
			{"limit zero", "limit=0", "limit"},
			{"limit too large", "limit=501", "limit"},
			{"limit not a number", "limit=ten", "limit"},
			{"cursor not ours", "cursor=%21%21", "cursor"},
		} {
			t.Run(rt.path+"/"+c.name, func(t *testing.T) {
				r := e.Must(t, admintest.Req{Method: "GET", Path: rt.path + "?" + c.query, Scope: rt.scope}, http.StatusBadRequest)
				if p := r.Problem(t); !admintest.Names(p, c.field) {
					t.Errorf("problem %+v does not name %s", p, c.field)
				}
			})
		}
	}
}
