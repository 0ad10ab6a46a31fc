// Package people serves the management API's routes about people and
// what they were granted: users (users.go, userpatch.go), their sign-on
// sessions (sessions.go), their links to upstream identities (links.go),
// their factors (factors.go), grants (grants.go), and revocations of
// tokens (revocations.go). It owns no conventions of its own: admin.Server
// mounts it through Config (its guarded route, the change recorder, the
// file's users), the routes follow admin/internal/rest, are documented
// in admin's openapi.json, openapi_sessions.json, openapi_links.json and
// openapi_factors.json, and give roles
// under admin/internal/delegate's rule. Each route does what the CLI
// does by calling the same functions of package users and the store.
package people
