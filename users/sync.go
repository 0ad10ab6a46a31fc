package users

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/portcullis/portcullis/store"
)

// Configured is a user defined in the configuration file.
type Configured struct {
	Username string
	Password string
	Claims   map[string]any
	// Roles are the user's console roles, checked by the configuration.
	Roles []string
}

// UserStore is the part of store.Store that Sync needs.
type UserStore interface {
	CreateUser(ctx context.Context, u store.User) error
	GetUserByUsername(ctx context.Context, username string) (store.User, error)
	UpdateUser(ctx context.Context, id string, update func(*store.User) error) error
	ListLinks(ctx context.Context, userID string) ([]store.Link, error)
}

// Sync brings the configured users into the store: a new username gets a
// new random subject, an existing one keeps its subject and gets the file's
// password, claims and roles: the file is the truth for its users, so a
// role removed from it is removed from the store at the next start.
// Hashing is skipped when the password is unchanged. A stored user with
// the username that is not one Sync made (it has upstream links, or no
// password: a just-in-time or console user) is never adopted: giving it
// the file's password and roles would hand a federated person's account,
// or an admin's roles, to the other; Sync fails instead.
func Sync(ctx context.Context, s UserStore, configured []Configured, now time.Time) error {
	for _, c := range configured {
		u, err := s.GetUserByUsername(ctx, c.Username)
		if errors.Is(err, store.ErrNotFound) {
			err = s.CreateUser(ctx, store.User{ID: NewID(), Username: c.Username, PasswordHash: HashPassword(c.Password),
				Claims: c.Claims, Roles: c.Roles, CreatedAt: now})
			if errors.Is(err, store.ErrAlreadyExists) {
				continue // another instance created it at the same start
			}
		} else if err == nil {
			if err := adoptable(ctx, s, u); err != nil {
				return fmt.Errorf("configured user %q: %w", c.Username, err)
			}
			ok, _ := VerifyPassword(u.PasswordHash, c.Password)
			sameClaims := maps.EqualFunc(u.Claims, c.Claims, func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) })
			if !ok || !sameClaims || !slices.Equal(u.Roles, c.Roles) {
				err = s.UpdateUser(ctx, u.ID, func(u *store.User) error {
					if !ok {
						u.PasswordHash = HashPassword(c.Password)
					}
					u.Claims, u.Roles = c.Claims, c.Roles
					return nil
				})
			}
		}
		if err != nil {
			return fmt.Errorf("sync user %s: %w", c.Username, err)
		}
	}
	return nil
}

// adoptable refuses a stored user the configuration file did not make:
// one linked to an upstream identity, or without a password.
func adoptable(ctx context.Context, s UserStore, u store.User) error {
	links, err := s.ListLinks(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	const fix = "rename the configured user or delete the stored one (portcullis users delete)"
	switch {
	case len(links) > 0:
		return fmt.Errorf("a stored user with this username signs in through connector %q, not the file: %s", links[0].ConnectorID, fix)
	case u.PasswordHash == "":
		return fmt.Errorf("a stored user with this username has no password, so the file did not make it: %s", fix)
	}
	return nil
}
