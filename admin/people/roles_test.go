package people_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
)

// Tokens of the "admin" client: every admin scope, and users:write with
// the read scopes a viewer's tokens may carry.
var (
	allAdmin    = strings.Join(registry.AdminScopes, " ")
	viewerGiver = usersW + " " + strings.Join(registry.WithinRoles([]string{registry.RoleViewer}, registry.AdminScopes), " ")
)

// TestBUserRoles: roles are given on create and changed by PATCH, shown
// by every read, checked as the file checks them, given only by a token
// that holds every scope the role allows, and every change is audited.
func TestBUserRoles(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	demo, err := e.AS.Store.GetUserByUsername(ctx, e.AS.Username)
	if err != nil {
		t.Fatal(err)
	}
	var eve registry.UserInfo
	e.Must(t, admintest.Req{Method: "POST", Path: "users", Scope: viewerGiver, Body: `{"username":"eve","roles":["viewer"]}`},
		http.StatusCreated).Decode(t, &eve)
	if !slices.Equal(eve.Roles, []string{registry.RoleViewer}) {
		t.Fatalf("created with roles %q", eve.Roles)
	}
	plain := e.CreateUser(t, "plain")

	steps := []struct {
		name  string
		req   admintest.Req
		want  int
		field string   // the problem names it
		roles []string // eve's roles afterwards, read back
	}{
		{"admin role with users:write alone", admintest.Req{Method: "POST", Path: "users", Scope: usersW, Body: `{"username":"x","roles":["admin"]}`}, 403, "roles[0]", []string{"viewer"}},
		{"viewer role with users:write alone", admintest.Req{Method: "POST", Path: "users", Scope: usersW, Body: `{"username":"x","roles":["viewer"]}`}, 403, "roles[0]", []string{"viewer"}},
		{"admin role with every scope but one", admintest.Req{Method: "POST", Path: "users", Scope: strings.TrimSuffix(allAdmin, " "+registry.ScopeUsageRead), Body: `{"username":"x","roles":["admin"]}`}, 403, "roles[0]", []string{"viewer"}},
		{"unknown role", admintest.Req{Method: "POST", Path: "users", Scope: allAdmin, Body: `{"username":"x","roles":["owner"]}`}, 400, "roles[0]", []string{"viewer"}},
		{"role twice", admintest.Req{Method: "POST", Path: "users", Scope: allAdmin, Body: `{"username":"x","roles":["viewer","admin","viewer"]}`}, 400, "roles[2]", []string{"viewer"}},
		{"roles not a list", admintest.Req{Method: "POST", Path: "users", Scope: allAdmin, Body: `{"username":"x","roles":"admin"}`}, 400, "", []string{"viewer"}},
		{"patch to admin with users:write alone", admintest.Req{Method: "PATCH", Path: "users/" + eve.ID, Scope: usersW, Body: `{"roles":["viewer","admin"]}`}, 403, "roles[1]", []string{"viewer"}},
		{"patch to an unknown role", admintest.Req{Method: "PATCH", Path: "users/" + eve.ID, Scope: allAdmin, Body: `{"roles":["root"]}`}, 400, "roles[0]", []string{"viewer"}},
		{"patch to admin with every scope", admintest.Req{Method: "PATCH", Path: "users/" + eve.ID, Scope: allAdmin, Body: `{"roles":["viewer","admin"]}`}, 200, "", []string{"viewer", "admin"}},
		{"keeping a role needs no more than users:write", admintest.Req{Method: "PATCH", Path: "users/" + eve.ID, Scope: usersW, Body: `{"roles":["admin"]}`}, 200, "", []string{"admin"}},
		{"null removes every role", admintest.Req{Method: "PATCH", Path: "users/" + eve.ID, Scope: usersW, Body: `{"roles":null}`}, 200, "", nil},
		{"roles of the file's user", admintest.Req{Method: "PATCH", Path: "users/" + demo.ID, Scope: allAdmin, Body: `{"roles":["admin"]}`}, 409, "", nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			a := e.Must(t, s.req, s.want)
			if s.want >= 400 {
				if p := a.Problem(t); s.field != "" && !admintest.Names(p, s.field) {
					t.Errorf("problem %+v does not name %s", p, s.field)
				}
			}
			var got registry.UserInfo
			e.Must(t, admintest.Req{Method: "GET", Path: "users/" + eve.ID, Scope: usersR}, http.StatusOK).Decode(t, &got)
			if !slices.Equal(got.Roles, s.roles) {
				t.Errorf("eve's roles %q, want %q", got.Roles, s.roles)
			}
		})
	}
	if _, err := e.AS.Store.GetUserByUsername(ctx, "x"); err == nil {
		t.Error("a refused create stored the user")
	}
	if d, _ := e.AS.Store.GetUser(ctx, demo.ID); d.Roles != nil {
		t.Errorf("the file's user got roles %q", d.Roles)
	}
	var list struct {
		Items []registry.UserInfo `json:"items"`
	}
	e.Must(t, admintest.Req{Method: "GET", Path: "users?q=plain", Scope: usersR}, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != plain.ID || list.Items[0].Roles != nil {
		t.Errorf("list %+v", list.Items)
	}

	// Newest first: removed, admin alone, admin added, created a viewer.
	var trail []string
	for _, ev := range e.Audit(t, audit.RolesChanged) {
		if ev.Subject != eve.ID || ev.Detail["actor_client_id"] != "admin" || ev.Detail["username"] != "eve" {
			t.Errorf("roles_changed %+v", ev)
		}
		trail = append(trail, strings.Trim(strings.ReplaceAll(strings.ReplaceAll(
			toString(ev.Detail["previous_roles"])+">"+toString(ev.Detail["roles"]), "[", ""), "]", ""), " "))
	}
	if want := []string{"admin>", "viewer admin>admin", "viewer>viewer admin", ">viewer"}; !slices.Equal(trail, want) {
		t.Errorf("roles_changed trail %q, want %q", trail, want)
	}
}

// toString is a decoded JSON list of strings as "[a b]".
func toString(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return "[" + strings.Join(out, " ") + "]"
}
