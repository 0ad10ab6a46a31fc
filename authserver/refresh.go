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
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// refresh is the refresh token grant (RFC 6749 section 6) with rotation
// (RFC 9700 section 4.14.2): every use returns a new refresh token and
// retires the old one. A rotated token presented again is a retry (its
// client lost the response) only in the narrow case RetryRefreshToken
// decides, and gets the same successor; otherwise it is taken as stolen and
// the whole family is revoked.
//
// A refresh token bound to a DPoP key (a public client's, RFC 9449 section
// 5) is used only with a proof of that key, jkt; the successor keeps the
// binding. A presentation without it changes nothing: it is neither a
// rotation nor reuse, since whoever lacks the key can do nothing with the
// token, and so cannot make its family be revoked either.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client, jkt string) *Error {
	raw := form.Get("refresh_token")
	if raw == "" {
		return errInvalidRequest("refresh_token is required")
	}
	old, err := s.store.GetRefreshToken(r.Context(), wire.Digest(raw))
	if errors.Is(err, store.ErrNotFound) {
		return errInvalidGrant("the refresh token is invalid or expired")
	}
	if err != nil {
		return s.internal(r, err)
	}
	if old.JKT != "" && jkt != old.JKT {
		return errWrongKey("refresh token")
	}
	if !old.RotatedAt.IsZero() {
		return s.retriedRefresh(w, r, raw, old, c.ID, jkt)
	}
	e := s.rotateRefresh(w, r, form, c, raw, old, jkt)
	if e != nil {
		// Whoever presented the token holds it, so a retry of its
		// predecessor is no longer a harmless one.
		if err := s.store.MarkRefreshTokenPresented(r.Context(), old.Hash, s.cfg.Now()); err != nil {
			s.log.ErrorContext(r.Context(), "recording a refused refresh token failed", "err", err)
		}
	}
	return e
}

// rotateRefresh exchanges a token that was never rotated for its
// successor, whose access token is bound to jkt when set.
func (s *Server) rotateRefresh(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client, raw string, old store.RefreshToken, jkt string) *Error {
	ctx := r.Context()
	now := s.cfg.Now()
	if old.ClientID != c.ID {
		s.event(r, slog.LevelWarn, audit.RefreshWrongClient, "client_id", c.ID, "token_client_id", old.ClientID)
		return errInvalidGrant("the refresh token was issued to another client")
	}
	if !old.RevokedAt.IsZero() || !now.Before(old.ExpiresAt) || !now.Before(old.FamilyExpiresAt) {
		return errInvalidGrant("the refresh token is revoked or expired")
	}
	u, err := users.Active(ctx, s.store, old.UserID)
	if err != nil {
		return errInvalidGrant("the user no longer exists or is disabled")
	}
	// The user's current roles bound the grant: a role removed since
	// narrows this access token and, for good, the successor.
	granted := registry.WithinRoles(u.Roles, old.Scopes)
	narrowed, e := narrowScope(form, granted)
	if e != nil {
		return e
	}
	scopes := granted
	if narrowed != nil {
		scopes = narrowed
	}
	cat := s.catalog()
	audience, forResources, e := cat.narrowToResources(c, form["resource"], old.Resources, scopes)
	if e != nil {
		return e
	}
	if forResources != nil {
		narrowed = forResources
	}
	tokens, err := s.issueUserTokens(cat, userGrant{
		grantID: old.GrantID, client: c, user: u, scopes: granted, narrowed: narrowed, resources: old.Resources, audience: audience,
		sid: old.SessionID, authn: signedIn(old.ACR, old.AMR, old.AuthTime), familyExp: old.FamilyExpiresAt,
		jkt: jkt, refreshJKT: refreshBinding(c, old.JKT, jkt),
	}, true)
	if err != nil {
		return s.internal(r, err)
	}
	sealed, err := sealSuccessor(raw, tokens.response, tokens.access.exp, jkt)
	if err != nil {
		return s.internal(r, err)
	}
	err = s.store.RotateRefreshToken(ctx, old.Hash, now, sealed, *tokens.refresh, tokens.access.jti, tokens.access.exp)
	switch {
	case errors.Is(err, store.ErrReplay):
		// Another request rotated it first: answer as a retry would be.
		return s.retriedRefresh(w, r, raw, old, c.ID, jkt)
	case errors.Is(err, store.ErrRevoked):
		return errInvalidGrant("the refresh token is revoked")
	case err != nil:
		return s.internal(r, err)
	}
	return s.issued(w, r, grantRefreshToken, c.ID, u.ID, tokens.access, jkt, tokens.response)
}

// retriedRefresh answers a rotated token presented again by clientID: the
// identical successor response for a retry, invalid_grant and a revoked
// family for reuse. The store decides which, in one transaction with the
// successor's state, so no use of the successor slips between the check and
// the answer. A retry gets the response only with a proof of the key its
// access token was bound to, or with none if it is a bearer token: the
// grace is per key, so a retry with another key learns nothing and
// changes nothing.
func (s *Server) retriedRefresh(w http.ResponseWriter, r *http.Request, raw string, old store.RefreshToken, clientID, jkt string) *Error {
	now := s.cfg.Now()
	sealed, err := s.store.RetryRefreshToken(r.Context(), old.Hash, clientID, now, s.cfg.RefreshGrace)
	switch {
	case errors.Is(err, store.ErrReplay):
		kv := []any{"client_id", old.ClientID, "sub", old.UserID}
		if clientID != old.ClientID {
			kv = append(kv, "presented_by", clientID)
		}
		s.event(r, slog.LevelWarn, audit.RefreshReuse, kv...)
		return errInvalidGrant("the refresh token was already used; its family is revoked")
	case errors.Is(err, store.ErrRevoked):
		return errInvalidGrant("the refresh token is revoked")
	case errors.Is(err, store.ErrNotFound):
		// Expired and collected since it was read.
		return errInvalidGrant("the refresh token has expired")
	case err != nil:
		return s.internal(r, err)
	}
	resp, bound, err := openSuccessor(raw, sealed, now)
	if err != nil {
		return s.internal(r, err)
	}
	if bound != jkt {
		return errInvalidGrant("the refresh token was used with another DPoP key, or without one; a retry must send the same")
	}
	s.event(r, slog.LevelInfo, audit.RefreshRetry, "client_id", clientID, "sub", old.UserID)
	writeJSON(w, http.StatusOK, resp)
	return nil
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
