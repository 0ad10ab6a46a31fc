package store

import "time"

// User is a person who signs in.
type User struct {
	// ID is the stable subject identifier (the "sub" claim): random,
	// never the username, so renaming a user changes nothing downstream.
	ID       string `json:"id"`
	Username string `json:"username"`
	// PasswordHash is an argon2id hash in PHC string format.
	PasswordHash string `json:"password_hash"`
	// Claims are the user's OpenID Connect claims (name, email, ...).
	Claims    map[string]any `json:"claims,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	// Disabled users cannot sign in, their sessions are refused, and no
	// token is issued to them or served for them (users.Active). Users
	// are stored as JSON documents, so the field needs no migration: a
	// user stored before it existed reads as enabled.
	Disabled bool `json:"disabled,omitempty"`
	// Roles are the user's console roles (registry.RoleAdmin,
	// registry.RoleViewer); they bound the management API scopes a token
	// for the user may carry.
	Roles []string `json:"roles,omitempty"`
}

// UserQuery selects a page of users for SearchUsers.
type UserQuery struct {
	// Text, when set, selects users whose username or email claim
	// contains it, ignoring case (that of ASCII letters on every backend)
	// and taking every character, LIKE's % and _ included, literally.
	Text string
	// After is the username of the previous page's last user; empty
	// means from the start.
	After string
	// Limit bounds the page; zero means DefaultPageLimit, and it is at
	// most MaxPageLimit.
	Limit int
}
