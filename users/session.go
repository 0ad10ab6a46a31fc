package users

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// Sessions returns the user's sign-on sessions live at now, the most
// recent sign-in first, as the management API and the CLI show them:
// each with the clients holding a live grant issued in it.
func Sessions(ctx context.Context, st SessionStore, userID string, now time.Time) ([]registry.Session, error) {
	found, err := st.ListSessions(ctx, userID, now)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	clients, err := sessionClients(ctx, st, userID, now)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := []registry.Session{}
	for _, s := range found {
		out = append(out, registry.SessionFromStore(s, clients[s.SID]))
	}
	return out, nil
}

// sessionClients maps each sid to the sorted clients of the user's live
// grants issued in it, reading every page of those grants.
func sessionClients(ctx context.Context, st SessionStore, userID string, now time.Time) (map[string][]string, error) {
	out := map[string][]string{}
	f := store.GrantFilter{UserID: userID, Live: true, Now: now, Limit: store.MaxPageLimit}
	for {
		gs, err := st.ListGrants(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.SessionID != "" && !slices.Contains(out[g.SessionID], g.ClientID) {
				out[g.SessionID] = append(out[g.SessionID], g.ClientID)
			}
		}
		if len(gs) < f.Limit {
			break
		}
		last := gs[len(gs)-1]
		f.BeforeCreated, f.BeforeID = last.CreatedAt, last.ID
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out, nil
}

// SessionStore is the part of store.Store that Sessions and EndSession
// need.
type SessionStore interface {
	ListSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error)
	ListGrants(ctx context.Context, f store.GrantFilter) ([]store.Grant, error)
	EndSession(ctx context.Context, userID, sid string, now time.Time) error
	RevokeSessionGrants(ctx context.Context, sid string, now time.Time) (int, error)
}

// EndSession ends the user's live session sid as logout does, for the
// management API and the CLI: the grants issued in it that were not
// authorized for offline access are revoked with their tokens, and it
// returns how many. store.ErrNotFound means the user has no live session
// sid; nothing is revoked then, so a sid cannot reach another user's
// grants. The order is logout's: grants first, so that a failure leaves
// the session to retry with, then the session, then its grants once more,
// for a sign-in that read the session before it ended and has created a
// grant since.
func EndSession(ctx context.Context, st SessionStore, userID, sid string, now time.Time) (int, error) {
	live, err := st.ListSessions(ctx, userID, now)
	if err != nil {
		return 0, fmt.Errorf("end session: %w", err)
	}
	if !slices.ContainsFunc(live, func(s store.Session) bool { return s.SID == sid && sid != "" }) {
		return 0, store.ErrNotFound
	}
	n, err := st.RevokeSessionGrants(ctx, sid, now)
	if err != nil {
		return 0, fmt.Errorf("end session: %w", err)
	}
	// ErrNotFound: the session ended (logout, expiry) since it was
	// listed; it is ended, as asked, and its grants are revoked below.
	if err := st.EndSession(ctx, userID, sid, now); err != nil && !errors.Is(err, store.ErrNotFound) {
		return n, fmt.Errorf("end session: %w", err)
	}
	m, err := st.RevokeSessionGrants(ctx, sid, now)
	if err != nil {
		return n, fmt.Errorf("end session: %w", err)
	}
	return n + m, nil
}
