package registry

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// User is a person who signs in: an entry of the file's users, and the
// body of the management API's create. Password is write-only: accepted on
// create (or later through the password route), never read back.
type User struct {
	Username string `yaml:"username" json:"username"`
	// Password must have at least 8 characters. Empty on create makes a
	// user who cannot sign in with a password until one is set.
	Password string `yaml:"password" json:"password,omitempty"`
	// Claims are OpenID Connect claims: name, email, email_verified...
	Claims map[string]any `yaml:"claims" json:"claims,omitempty"`
	// Roles are the user's console roles: RoleAdmin or RoleViewer. Empty
	// means none: the user cannot use the console, and no token for them
	// carries a management API scope.
	Roles []string `yaml:"roles" json:"roles,omitempty"`
}

// Console roles. A user token carries management API (admin:*) scopes
// only as far as its user's roles allow: an admin's any, a viewer's the
// read scopes.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// UserInfo is a user as the management API shows it.
type UserInfo struct {
	// ID is the user's subject identifier, the sub of their tokens.
	ID       string         `json:"id"`
	Username string         `json:"username"`
	Claims   map[string]any `json:"claims,omitempty"`
	// Roles are the user's console roles (RoleAdmin, RoleViewer).
	Roles []string `json:"roles,omitempty"`
	// Disabled users cannot sign in and get no tokens; PATCH it to
	// disable (which revokes their tokens) or enable them.
	Disabled bool `json:"disabled"`
	// Source is SourceConfig or SourceStore.
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Password is the body that sets a user's password.
type Password struct {
	Password string `json:"password"`
}

// UserFromStore is u as the management API shows it, from source: never
// its password hash.
func UserFromStore(u store.User, source string) UserInfo {
	return UserInfo{ID: u.ID, Username: u.Username, Claims: u.Claims, Roles: u.Roles, Disabled: u.Disabled, Source: source, CreatedAt: u.CreatedAt}
}
