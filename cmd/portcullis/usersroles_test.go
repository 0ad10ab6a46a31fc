package main

import (
	"slices"
	"strings"
	"testing"
)

// TestCLIUserRoles: users add and users update take --roles, checked as
// the configuration checks them; users list shows them, and every change
// is audited.
func TestCLIUserRoles(t *testing.T) {
	conf, _ := registryFixture(t)
	var ops userView
	cliJSON(t, &ops, "users", "add", "--config", conf, "--username", "ops", "--roles", "admin")
	if !slices.Equal(ops.Roles, []string{"admin"}) {
		t.Fatalf("added with roles %q", ops.Roles)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"add with an unknown role", []string{"users", "add", "--username", "x", "--roles", "owner"}, `--roles: roles[0] "owner": must be admin or viewer`},
		{"add with a role twice", []string{"users", "add", "--username", "x", "--roles", "viewer,viewer"}, `roles[1] "viewer": is listed twice`},
		{"update to an unknown role", []string{"users", "update", "ops", "--roles", "viewer,Admin"}, `roles[1] "Admin": must be admin or viewer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out := cliFails(t, nil, append(tc.args, "--config", conf)...); !strings.Contains(out, tc.want) {
				t.Errorf("output does not say %s:\n%s", tc.want, out)
			}
		})
	}
	cliFails(t, nil, "users", "update", "x", "--config", conf, "--roles", "viewer") // x was never added

	for _, step := range []struct {
		flag string
		want []string
	}{
		{"--roles=viewer", []string{"viewer"}},
		{"--roles=viewer,admin", []string{"viewer", "admin"}},
		{"--roles=", nil},
	} {
		var got userView
		cliJSON(t, &got, "users", "update", "--config", conf, "ops", step.flag)
		if !slices.Equal(got.Roles, step.want) {
			t.Errorf("%s: roles %q, want %q", step.flag, got.Roles, step.want)
		}
	}
	cli(t, nil, "users", "update", "--config", conf, "ops", "--roles", "admin")
	if table := cli(t, nil, "users", "list", "--config", conf); !strings.Contains(table, "ROLES") || !hasRow(table, "ops", "admin") {
		t.Errorf("users list does not show the roles:\n%s", table)
	}
	var events []struct {
		Detail map[string]any `json:"detail"`
	}
	cliJSON(t, &events, "audit", "list", "--config", conf, "--type", "roles_changed")
	if len(events) != 5 || events[0].Detail["username"] != "ops" || len(events[1].Detail["roles"].([]any)) != 0 {
		t.Errorf("roles_changed events %+v", events)
	}
}
