// Package delegate decides which management API rights a request may
// hand on: each admin:* scope is its own right, and a token may give a
// client a scope (Scopes), or a user a console role (Roles), only when it
// holds every admin:* scope that gives. So admin:clients:write or
// admin:users:write alone cannot mint an administrator of users or keys.
// The management API's clients (admin) and users (admin/people) apply
// the one rule.
package delegate
