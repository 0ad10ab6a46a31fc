package authserver

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
)

// handleRevoke is the revocation endpoint (RFC 7009), for access tokens
// and refresh tokens; token_type_hint is not needed to tell them apart. A
// client may revoke only its own tokens. An invalid, expired or unknown token is answered 200
// (section 2.2): the client's goal, that the token be unusable, is met.
// Only tokens that verify are recorded, so forged tokens cannot fill the
// store.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	form, e := readForm(w, r)
	if e != nil {
		e.Render(w)
		return
	}
	// Public clients revoke by client_id alone (RFC 7009 section 2.1,
	// OAuth 2.1): the token they present is proof enough to end it.
	client, e := s.authenticateClient(r, form)
	if e != nil {
		e.Render(w)
		return
	}
	clientID := client.ID
	raw := form.Get("token")
	if raw == "" {
		errInvalidRequest("token is required").Render(w)
		return
	}
	c, err := s.parseAccessToken(raw)
	now := s.cfg.Now()
	if err != nil {
		s.revokeRefreshToken(w, r, clientID, raw)
		return
	}
	if !now.Before(c.Expiry.Time()) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return
	}
	if c.ClientID != clientID {
		s.event(r, slog.LevelWarn, audit.RevokeRefused, "client_id", clientID, "token_client_id", c.ClientID, "jti", c.ID)
		errUnauthorizedClient("the token was not issued to this client").Render(w)
		return
	}
	if err := s.store.RevokeToken(r.Context(), store.Revocation{JTI: c.ID, ExpiresAt: c.Expiry.Time(), RevokedAt: now}); err != nil {
		s.internal(r, err).Render(w)
		return
	}
	s.event(r, slog.LevelInfo, audit.TokenRevoked, "client_id", clientID, "sub", c.Subject, "jti", c.ID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revokeRefreshToken revokes a refresh token with its whole family and the
// access tokens issued from it (RFC 7009 section 2.1 allows, and OAuth 2.1
// requires, revoking the grant).
func (s *Server) revokeRefreshToken(w http.ResponseWriter, r *http.Request, clientID, raw string) {
	ctx := r.Context()
	rt, err := s.store.GetRefreshToken(ctx, wire.Digest(raw))
	if errors.Is(err, store.ErrNotFound) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	if rt.ClientID != clientID {
		s.event(r, slog.LevelWarn, audit.RevokeRefused, "client_id", clientID, "token_client_id", rt.ClientID)
		errUnauthorizedClient("the token was not issued to this client").Render(w)
		return
	}
	if err := s.store.RevokeGrant(ctx, rt.GrantID, s.cfg.Now()); err != nil {
		s.internal(r, err).Render(w)
		return
	}
	s.event(r, slog.LevelInfo, audit.TokenRevoked, "client_id", clientID, "sub", rt.UserID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
