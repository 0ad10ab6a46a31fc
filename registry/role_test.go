package registry

import (
	"slices"
	"testing"
)

func TestCheckRoles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		roles []string
		want  []RoleProblem
	}{
		{"none", nil, nil},
		{"both", []string{RoleViewer, RoleAdmin}, nil},
		{"unknown", []string{RoleAdmin, "Admin", ""}, []RoleProblem{{1, "must be admin or viewer"}, {2, "must be admin or viewer"}}},
		{"twice", []string{RoleViewer, RoleAdmin, RoleViewer}, []RoleProblem{{2, "is listed twice"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckRoles(tc.roles); !slices.Equal(got, tc.want) {
				t.Errorf("CheckRoles(%q) = %v, want %v", tc.roles, got, tc.want)
			}
		})
	}
}

func TestWithinRoles(t *testing.T) {
	asked := []string{"openid", ScopeClientsRead, "read:orders", ScopeClientsWrite, ScopeUsageRead, "admin:made:up"}
	for _, tc := range []struct {
		name  string
		roles []string
		want  []string
	}{
		{"admin", []string{RoleAdmin}, asked},
		{"viewer", []string{RoleViewer}, []string{"openid", ScopeClientsRead, "read:orders", ScopeUsageRead, "admin:made:up"}},
		{"viewer and admin", []string{RoleViewer, RoleAdmin}, asked},
		{"none", nil, []string{"openid", "read:orders", "admin:made:up"}},
		{"unknown role", []string{"root"}, []string{"openid", "read:orders", "admin:made:up"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := WithinRoles(tc.roles, asked); !slices.Equal(got, tc.want) {
				t.Errorf("WithinRoles(%q) = %q, want %q", tc.roles, got, tc.want)
			}
		})
	}
	if got := WithinRoles(nil, []string{ScopeKeysWrite}); got != nil {
		t.Errorf("nothing left is %#v, want nil", got)
	}
}
