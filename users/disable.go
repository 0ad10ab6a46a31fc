package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/store"
)

// ErrDisabled means the user exists but is disabled.
var ErrDisabled = errors.New("users: the user is disabled")

// UserGetter is the part of store.Store that Active needs.
type UserGetter interface {
	GetUser(ctx context.Context, id string) (store.User, error)
}

// Active returns the user with this ID if they may act: sign in, use a
// session, be issued tokens or have their claims served. It returns
// store.ErrNotFound if there is no such user and ErrDisabled if the user
// is disabled. Every path that acts for a user loads them through it, so
// a disabled user is refused everywhere, even by requests that began
// before Disable revoked their grants.
func Active(ctx context.Context, s UserGetter, id string) (store.User, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return store.User{}, err
	}
	if u.Disabled {
		return store.User{}, ErrDisabled
	}
	return u, nil
}

// DisableStore is the part of store.Store that Disable and Enable need.
type DisableStore interface {
	UpdateUser(ctx context.Context, id string, update func(*store.User) error) error
	RevokeAll(ctx context.Context, c store.Cutoff, now time.Time) (int, error)
}

// Disable disables the user c.Subject and then revokes everything issued
// to them, as RevokeAll(c) does: every grant with its tokens, every access
// token through the cutoff, and their sign-on sessions. It returns how
// many grants it revoked. Disabling a disabled user revokes again, so
// running it twice finishes a revocation that failed.
//
// The flag and the revocation are two transactions, and the flag comes
// first: from its commit on, Active refuses the user, so no sign-in,
// session, code exchange or refresh issues anything new. A request that
// loaded the user just before adds its tokens to a grant that RevokeAll
// then revokes (or finds the grant revoked and fails), and its access
// token's iat is before the cutoff. If RevokeAll fails, the user stays
// disabled and only tokens already issued live on, until they expire or
// Disable is run again.
func Disable(ctx context.Context, s DisableStore, c store.Cutoff, now time.Time) (int, error) {
	return DisableWith(ctx, s, c, now, nil)
}

// DisableWith is Disable, running update on the user in the transaction
// that sets the flag, before it: for a caller whose own check or change
// (the management API's If-Match, a merge patch) must commit with the
// flag or not at all. An error from update aborts the change and is
// returned wrapped. A nil update only disables.
func DisableWith(ctx context.Context, s DisableStore, c store.Cutoff, now time.Time, update func(*store.User) error) (int, error) {
	if c.Subject == "" || c.ClientID != "" {
		return 0, fmt.Errorf("disable user: %w", store.ErrCutoffTarget)
	}
	err := s.UpdateUser(ctx, c.Subject, func(u *store.User) error {
		if update != nil {
			if err := update(u); err != nil {
				return err
			}
		}
		u.Disabled = true
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("disable user: %w", err)
	}
	n, err := s.RevokeAll(ctx, c, now)
	if err != nil {
		return 0, fmt.Errorf("user disabled, but revoking their tokens failed (disable them again to retry): %w", err)
	}
	return n, nil
}

// Enable lets the disabled user id sign in again and reports whether they
// were disabled. What Disable revoked stays revoked: the user signs in
// afresh.
func Enable(ctx context.Context, s DisableStore, id string) (bool, error) {
	return EnableWith(ctx, s, id, nil)
}

// EnableWith is Enable, running update on the user in the transaction
// that clears the flag, before it, as DisableWith does.
func EnableWith(ctx context.Context, s DisableStore, id string, update func(*store.User) error) (bool, error) {
	var was bool
	err := s.UpdateUser(ctx, id, func(u *store.User) error {
		if update != nil {
			if err := update(u); err != nil {
				return err
			}
		}
		was, u.Disabled = u.Disabled, false
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("enable user: %w", err)
	}
	return was, nil
}
