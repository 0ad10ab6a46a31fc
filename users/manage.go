package users

import (
	"context"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// ManageStore is the part of store.Store that Create and SetPassword
// need.
type ManageStore interface {
	CreateUser(ctx context.Context, u store.User) error
	UpdateUser(ctx context.Context, id string, update func(*store.User) error) error
	RevokeAll(ctx context.Context, c store.Cutoff, now time.Time) (int, error)
}

// Create adds a user with a new subject identifier, the argon2id hash
// of password and the console roles roles; it returns
// store.ErrAlreadyExists (wrapped) if the username is taken. An empty
// password makes a user who cannot sign in with one until SetPassword
// gives them one. It is what `portcullis users add` and the management
// API both do; the caller checks the password's length and the roles
// (registry.CheckRoles), as the configuration does.
func Create(ctx context.Context, s ManageStore, username, password string, claims map[string]any, roles []string, now time.Time) (store.User, error) {
	u := store.User{ID: NewID(), Username: username, Claims: claims, Roles: roles, CreatedAt: now}
	if password != "" {
		u.PasswordHash = HashPassword(password)
	}
	if err := s.CreateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("create user %s: %w", username, err)
	}
	return u, nil
}

// SetPassword replaces the password of the user c.Subject and then
// revokes everything issued to them, as RevokeAll(c) does, so that
// whoever knew the old password keeps nothing it won. It returns how many
// grants it revoked. The revocation comes after the change, so nothing
// won with the old password in between survives it.
func SetPassword(ctx context.Context, s ManageStore, c store.Cutoff, password string, now time.Time) (int, error) {
	if c.Subject == "" || c.ClientID != "" {
		return 0, fmt.Errorf("set password: %w", store.ErrCutoffTarget)
	}
	hash := HashPassword(password)
	if err := s.UpdateUser(ctx, c.Subject, func(u *store.User) error { u.PasswordHash = hash; return nil }); err != nil {
		return 0, err
	}
	n, err := s.RevokeAll(ctx, c, now)
	if err != nil {
		return 0, fmt.Errorf("password changed, but revoking the old tokens failed (run tokens revoke --subject %s): %w", c.Subject, err)
	}
	return n, nil
}
