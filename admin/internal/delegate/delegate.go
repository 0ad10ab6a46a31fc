package delegate

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
)

// unheld is the management API scopes among want, other than those in
// had, that the request's token does not hold. Each admin:* scope is its
// own right: a token may hand on only the rights it holds, so that
// admin:clients:write or admin:users:write alone cannot mint an
// administrator of users or keys.
func unheld(r *http.Request, had, want []string) []string {
	c, ok := guard.CallerFromContext(r.Context())
	var out []string
	for _, sc := range want {
		if slices.Contains(registry.AdminScopes, sc) && !slices.Contains(had, sc) && (!ok || !c.HasScope(sc)) {
			out = append(out, sc)
		}
	}
	return out
}

// Scopes refuses to give a client a management API scope it did not
// have (had) that the request's own token lacks: a *rest.Error (403)
// naming each such scopes[i].
func Scopes(r *http.Request, had, want []string) error {
	var fields []rest.FieldProblem
	for i, sc := range want {
		if len(unheld(r, had, []string{sc})) > 0 {
			fields = append(fields, rest.FieldProblem{Field: fmt.Sprintf("scopes[%d]", i),
				Detail: sc + " can be given only with a token that holds it"})
		}
	}
	if fields == nil {
		return nil
	}
	return &rest.Error{Status: http.StatusForbidden, Slug: rest.ProblemForbidden,
		Detail: "a client may be given management API scopes only by a token that holds them", Fields: fields}
}

// Roles refuses to give a user a console role they did not have (had)
// unless the request's token holds every management API scope the role
// lets the user's tokens carry (registry.WithinRoles): an admin can mint
// every admin:* scope, a viewer every read one. The refusal is a
// *rest.Error (403) naming each such roles[i].
func Roles(r *http.Request, had, want []string) error {
	var fields []rest.FieldProblem
	for i, role := range want {
		if slices.Contains(had, role) {
			continue
		}
		if missing := unheld(r, nil, registry.WithinRoles([]string{role}, registry.AdminScopes)); len(missing) > 0 {
			fields = append(fields, rest.FieldProblem{Field: fmt.Sprintf("roles[%d]", i),
				Detail: "the " + role + " role can be given only with a token that holds " + strings.Join(missing, " ")})
		}
	}
	if fields == nil {
		return nil
	}
	return &rest.Error{Status: http.StatusForbidden, Slug: rest.ProblemForbidden,
		Detail: "a role may be given only by a token that holds every scope it allows", Fields: fields}
}
