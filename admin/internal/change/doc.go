// Package change makes the changes to clients that the management API
// (admin) and dynamic client registration (admin/registration) share, and
// records every change in the audit trail: a client validated with the
// configuration's rules against the stored APIs, created and read back,
// replaced, and deleted with the cutoff that revokes its tokens. So the
// YAML, the CLI, the API and registration accept and remove clients alike.
// admin/people records its changes to users and grants, and makes the
// cutoffs that revoke their tokens, with the same Changer.
package change
