package authserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/authserver/signin"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// newSignin builds the sign-in pages (package signin) for s, which serves
// their routes.
func newSignin(s *Server) (*signin.Server, error) {
	return signin.New(signin.Config{
		Issuer: s.cfg.Issuer, Now: s.cfg.Now, SessionTTL: s.cfg.SessionTTL,
		Throttle: s.cfg.Throttle, AddressThrottle: s.cfg.AddressThrottle,
		Secret: s.cfg.Secret, Theme: s.cfg.Theme, TemplatesDir: s.cfg.TemplatesDir,
	}, signinCore{s}, s.store, s.log)
}

// signinCore is the signin.Core of a Server: the protocol decisions the
// sign-in pages leave to it.
type signinCore struct{ s *Server }

// Authorization validates an authorization request at the authorization
// endpoint; a request_uri is resolved instead (par.go).
func (c signinCore) Authorization(ctx context.Context, params url.Values) (store.AuthRequest, store.Client, *signin.Refusal) {
	var ar store.AuthRequest
	var client store.Client
	var ae *authzError
	if params.Has("request_uri") {
		ar, client, ae = c.s.pushedRequest(ctx, params)
	} else {
		ar, client, ae = c.s.parseAuthorization(ctx, params, nil, false)
	}
	if ae != nil {
		return ar, client, &signin.Refusal{
			Code: ae.err.Code, Description: ae.err.Description, Status: ae.err.Status,
			RedirectURI: ae.redirect, State: ae.state,
		}
	}
	return ar, client, nil
}

func (c signinCore) Client(ctx context.Context, id string) (store.Client, error) {
	return c.s.client(ctx, id)
}

func (c signinCore) APIScopes(scopes []string) []signin.APIScope {
	return c.s.catalog().apiScopes(scopes)
}

func (c signinCore) UserScopes(u store.User, scopes []string) []string {
	return registry.WithinRoles(u.Roles, scopes)
}

func (c signinCore) RefreshMaxTTL(cl store.Client) time.Duration { return c.s.refreshMaxTTL(cl) }

func (c signinCore) IDTokenHint(raw string) (sub string, aud []string, ok bool) {
	return c.s.parseIDTokenHint(raw)
}

// ParseForm reads a page's form as readForm reads the token endpoint's. A
// body over the limit is reported by its *http.MaxBytesError.
func (c signinCore) ParseForm(w http.ResponseWriter, r *http.Request) error {
	if _, e := readForm(w, r); e != nil {
		if e.cause != nil {
			return e.cause
		}
		return errors.New(e.Description)
	}
	return nil
}

func (c signinCore) ClientIP(r *http.Request) string { return c.s.clientIP(r) }

func (c signinCore) HoldPending(r *http.Request, id string, until time.Time) (bool, time.Duration) {
	return c.s.holdPending(r, id, until, false)
}

func (c signinCore) ReleasePending(id string) { c.s.pending.Release(id) }

func (c signinCore) Limit(w http.ResponseWriter, r *http.Request, name string) (bool, time.Duration) {
	var l usage.Limit
	switch name {
	case usage.LimitAuthorize:
		l = c.s.cfg.RateLimits.Authorize
	case usage.LimitSignIn:
		l = c.s.cfg.RateLimits.SignIn
	}
	d := c.s.limitAddress(r, name, l)
	if d.Allowed {
		return true, 0
	}
	d.SetHeaders(w.Header())
	return false, d.RetryAfter
}

func (c signinCore) Event(r *http.Request, level slog.Level, typ string, kv ...any) {
	c.s.event(r, level, typ, kv...)
}

func (c signinCore) StoreFailed(err error) { c.s.writes.observe(err) }
