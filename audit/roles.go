package audit

import "github.com/portcullis/portcullis/store"

// RolesChange is the RolesChanged event of a change of u's console roles
// from previous, as the management API and the CLI record it: its detail
// lists both, [] for none.
func RolesChange(u store.User, previous []string) store.AuditEvent {
	list := func(roles []string) []string {
		if roles == nil {
			return []string{}
		}
		return roles
	}
	return store.AuditEvent{Type: RolesChanged, Subject: u.ID,
		Detail: map[string]any{"username": u.Username, "roles": list(u.Roles), "previous_roles": list(previous)}}
}
