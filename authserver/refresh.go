package authserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
)

// refresh is the refresh token grant (RFC 6749 section 6) with rotation
// (RFC 9700 section 4.14.2): every use returns a new refresh token and
// retires the old one. An old token presented again within the grace period
// gets the same successor (its client lost the response); later, it is
// taken as stolen and the whole family is revoked.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client) *Error {
	raw := form.Get("refresh_token")
	if raw == "" {
		return errInvalidRequest("refresh_token is required")
	}
	ctx := r.Context()
	now := s.cfg.Now()
	old, err := s.store.GetRefreshToken(ctx, wire.Digest(raw))
	if errors.Is(err, store.ErrNotFound) {
		return errInvalidGrant("the refresh token is invalid or expired")
	}
	if err != nil {
		return s.internal(r, err)
	}
	if old.ClientID != c.ID {
		s.event(r, slog.LevelWarn, audit.RefreshWrongClient, "client_id", c.ID, "token_client_id", old.ClientID)
		return errInvalidGrant("the refresh token was issued to another client")
	}
	if !old.RotatedAt.IsZero() {
		return s.replayedRefresh(w, r, raw, old)
	}
	if !old.RevokedAt.IsZero() || !now.Before(old.ExpiresAt) || !now.Before(old.FamilyExpiresAt) {
		return errInvalidGrant("the refresh token is revoked or expired")
	}
	narrowed, e := narrowScope(form, old.Scopes)
	if e != nil {
		return e
	}
	scopes := old.Scopes
	if narrowed != nil {
		scopes = narrowed
	}
	audience, forResources, e := s.narrowToResources(form["resource"], old.Resources, scopes)
	if e != nil {
		return e
	}
	if forResources != nil {
		narrowed = forResources
	}
	u, err := s.store.GetUser(ctx, old.UserID)
	if err != nil {
		return errInvalidGrant("the user no longer exists")
	}
	tokens, err := s.issueUserTokens(userGrant{
		grantID: old.GrantID, client: c, user: u, scopes: old.Scopes, narrowed: narrowed, resources: old.Resources, audience: audience,
		sid: old.SessionID, authTime: old.AuthTime, amr: old.AMR, familyExp: old.FamilyExpiresAt,
	}, true)
	if err != nil {
		return s.internal(r, err)
	}
	sealed, err := sealSuccessor(raw, tokens.response, tokens.access.exp)
	if err != nil {
		return s.internal(r, err)
	}
	err = s.store.RotateRefreshToken(ctx, old.Hash, now, sealed, *tokens.refresh, tokens.access.jti, tokens.access.exp)
	switch {
	case errors.Is(err, store.ErrReplay):
		// Another request rotated it first: answer as a retry would be.
		if old, err = s.store.GetRefreshToken(ctx, old.Hash); err != nil {
			return s.internal(r, err)
		}
		return s.replayedRefresh(w, r, raw, old)
	case errors.Is(err, store.ErrRevoked):
		return errInvalidGrant("the refresh token is revoked")
	case err != nil:
		return s.internal(r, err)
	}
	return s.issued(w, r, grantRefreshToken, c.ID, u.ID, tokens.access.jti, tokens.response)
}

// replayedRefresh answers a rotated token: the same successor within the
// grace period, reuse detection after it.
func (s *Server) replayedRefresh(w http.ResponseWriter, r *http.Request, raw string, old store.RefreshToken) *Error {
	now := s.cfg.Now()
	if old.RevokedAt.IsZero() && old.Successor != nil && now.Sub(old.RotatedAt) <= s.cfg.RefreshGrace {
		resp, err := openSuccessor(raw, old.Successor, now)
		if err != nil {
			return s.internal(r, err)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
	if old.RevokedAt.IsZero() {
		if err := s.store.RevokeGrant(r.Context(), old.GrantID, now); err != nil {
			return s.internal(r, err)
		}
		s.event(r, slog.LevelWarn, audit.RefreshReuse, "client_id", old.ClientID, "sub", old.UserID, "remote", r.RemoteAddr)
	}
	return errInvalidGrant("the refresh token was already used; its family is revoked")
}

// narrowScope applies a refresh request's scope, which may only narrow the
// grant (RFC 6749 section 6). Absent, the access token gets the full scope.
func narrowScope(form url.Values, granted []string) ([]string, *Error) {
	if strings.TrimSpace(form.Get("scope")) == "" {
		return nil, nil
	}
	req, e := parseScope(form.Get("scope"))
	if e != nil {
		return nil, e
	}
	for _, sc := range req {
		if !slices.Contains(granted, sc) {
			return nil, errInvalidScope(fmt.Sprintf("scope %q was not granted; a refresh may only narrow the scope", wire.Clip(sc)))
		}
	}
	return req, nil
}
