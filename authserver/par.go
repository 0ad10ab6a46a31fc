package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

const (
	// requestURIPrefix starts every request_uri (RFC 9126 section 2.2).
	requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	// parTTL is how long a pushed request may wait for the browser.
	parTTL = 60 * time.Second
)

// handlePAR is the pushed authorization request endpoint (RFC 9126). The
// client authenticates and the request is validated as at the
// authorization endpoint, with errors answered here as JSON. A DPoP proof
// binds the code to its key as dpop_jkt does, and must agree with
// dpop_jkt when both are sent (RFC 9449 section 10.1).
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request) {
	s.setNonce(w)
	form, e := readForm(w, r)
	if e != nil {
		e.Render(w)
		return
	}
	client, e := s.authenticateClient(r, form)
	if e != nil {
		e.Render(w)
		return
	}
	// A public client proves nothing: its pushes count against the
	// address, as its pending requests do (holdPending).
	if client.AuthMethod == store.AuthNone {
		if d := s.limitAddress(r, usage.LimitPAR, s.cfg.RateLimits.PAR); !d.Allowed {
			errRateLimited(w, d, "too many authorization requests from this address; retry after Retry-After seconds").Render(w)
			return
		}
	}
	if form.Has("request_uri") {
		errInvalidRequest("request_uri cannot be pushed").Render(w)
		return
	}
	ar, _, ae := s.parseAuthorization(r.Context(), form, &client, true)
	if ae != nil {
		ae.err.Render(w)
		return
	}
	jkt, e := s.proofKey(r, s.endpoints.par, false)
	if e != nil {
		e.Render(w)
		return
	}
	switch {
	case jkt == "":
	case ar.DPoPJKT == "":
		ar.DPoPJKT = jkt
	case ar.DPoPJKT != jkt:
		errInvalidProof("the DPoP proof's key is not the key dpop_jkt names").Render(w)
		return
	}
	now := s.cfg.Now()
	ar.ID, ar.Pushed, ar.CreatedAt, ar.ExpiresAt = wire.RandomToken(), true, now, now.Add(parTTL)
	if ok, wait := s.holdPending(r, ar.ID, ar.ExpiresAt, client.AuthMethod != store.AuthNone); !ok {
		errTooManyPending(w, wait).Render(w)
		return
	}
	if err := s.store.SaveAuthRequest(r.Context(), ar); err != nil {
		s.pending.Release(ar.ID)
		s.internal(r, err).Render(w)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": requestURIPrefix + ar.ID, "expires_in": int(parTTL.Seconds())})
}

// pushedRequest resolves a request_uri at the authorization endpoint. It is
// single use and bound to its client; the other parameters are ignored, as
// RFC 9126 section 4 requires, except client_id.
func (s *Server) pushedRequest(ctx context.Context, p url.Values) (store.AuthRequest, store.Client, *authzError) {
	page := func(desc string) *authzError {
		return &authzError{err: newError(http.StatusBadRequest, "invalid_request_uri", desc)}
	}
	id, ok := strings.CutPrefix(p.Get("request_uri"), requestURIPrefix)
	if !ok || len(p["request_uri"]) > 1 {
		return store.AuthRequest{}, store.Client{}, page("The request_uri is not one this server issued.")
	}
	ar, err := s.store.GetAuthRequest(ctx, id, s.cfg.Now())
	if err == nil && (!ar.Pushed || ar.ClientID != p.Get("client_id")) {
		err = store.ErrNotFound
	}
	if err == nil {
		err = s.store.DeleteAuthRequest(ctx, id)
	}
	if err == nil {
		s.pending.Release(id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.AuthRequest{}, store.Client{}, page("The request_uri is unknown, expired, already used or belongs to another client.")
	}
	if err != nil {
		return store.AuthRequest{}, store.Client{}, &authzError{err: errServer()}
	}
	c, err := s.client(ctx, ar.ClientID)
	if err != nil {
		return store.AuthRequest{}, store.Client{}, page("The application that sent you here is not registered.")
	}
	return ar, c, nil
}
