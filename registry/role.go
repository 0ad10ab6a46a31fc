package registry

import (
	"slices"
	"strings"
)

// RoleProblem is what is wrong with the role at Index of a list of roles.
type RoleProblem struct {
	Index  int
	Detail string
}

// CheckRoles checks a user's console roles: each must be RoleAdmin or
// RoleViewer, and none listed twice. The configuration file, the
// management API and the CLI all check roles with it, each naming the
// entry its own way.
func CheckRoles(roles []string) []RoleProblem {
	var out []RoleProblem
	for i, r := range roles {
		switch {
		case r != RoleAdmin && r != RoleViewer:
			out = append(out, RoleProblem{Index: i, Detail: "must be " + RoleAdmin + " or " + RoleViewer})
		case slices.Contains(roles[:i], r):
			out = append(out, RoleProblem{Index: i, Detail: "is listed twice"})
		}
	}
	return out
}

// WithinRoles is scopes without the management API scopes that a user
// with roles may not hold: RoleAdmin allows every one, RoleViewer the
// read ones (admin:*:read), no role none. Other scopes pass unchanged;
// nothing left is nil.
// The authorization server applies it to every token issued for a user,
// with the user's current roles; a client's own tokens (client
// credentials) are not a user's and keep the client's scopes.
func WithinRoles(roles, scopes []string) []string {
	var out []string
	for _, sc := range scopes {
		if !slices.Contains(AdminScopes, sc) || slices.Contains(roles, RoleAdmin) ||
			slices.Contains(roles, RoleViewer) && strings.HasSuffix(sc, ":read") {
			out = append(out, sc)
		}
	}
	return out
}
