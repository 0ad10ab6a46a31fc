package authserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/authserver/signin"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/theme"
	"github.com/portcullis/portcullis/usage"
)

// newSignin builds the sign-in pages (package signin) for s, which serves
// their routes.
func newSignin(s *Server) (*signin.Server, error) {
	sealer, err := mfa.NewSealer(s.cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	name := cmp.Or(s.cfg.Theme, theme.Default()).Name
	issuer, _ := url.Parse(s.cfg.Issuer) // checked by New
	origins := s.cfg.MFA.Origins
	if len(origins) == 0 {
		origins = []string{issuer.Scheme + "://" + issuer.Host}
	}
	rpID := cmp.Or(s.cfg.MFA.RPID, issuer.Hostname())
	var wa *mfa.WebAuthn
	// A relying party ID is a domain (WebAuthn Level 3 section 5.1.3):
	// behind an IP address issuer passkeys are off and the page offers
	// only the other factors; config refuses passkeys asked for by name
	// there, so only the default lands here.
	if net.ParseIP(rpID) == nil {
		wa, err = mfa.NewWebAuthn(mfa.WebAuthnConfig{
			RPID: rpID, RPName: name, Origins: origins,
			Now: s.cfg.Now, Sealer: sealer, Timeout: webAuthnTimeout,
		})
		if err != nil {
			return nil, fmt.Errorf("mfa: passkeys: %w", err)
		}
	}
	m := signin.MFA{
		Required: s.cfg.MFA.Required, Allowed: s.cfg.MFA.Allowed, Sealer: sealer,
		TOTP: &mfa.TOTP{Issuer: name, Now: s.cfg.Now, Sealer: sealer}, WebAuthn: wa, CeremonyTimeout: webAuthnTimeout,
	}
	return signin.New(signin.Config{
		Issuer: s.cfg.Issuer, Now: s.cfg.Now, SessionTTL: s.cfg.SessionTTL,
		Throttle: s.cfg.Throttle, AddressThrottle: s.cfg.AddressThrottle,
		Secret: s.cfg.Secret, Theme: s.cfg.Theme, TemplatesDir: s.cfg.TemplatesDir,
		MFA: m, Connectors: s.cfg.Connectors, PasswordDisabled: s.cfg.PasswordDisabled,
	}, signinCore{s}, s.store, s.log)
}

// Connector is an upstream identity provider of the sign-in page: its ID
// and name, the connector (exactly one of Redirect and Password) and its
// account rules.
type Connector = signin.Connector

// webAuthnTimeout bounds a passkey ceremony, from the page that starts it
// to the form that posts its answer (WebAuthn Level 3 section 5.4.1
// recommends five minutes to ten).
const webAuthnTimeout = 5 * time.Minute

// MFA is the multi-factor policy and the WebAuthn relying party of the
// sign-in (config's mfa section).
type MFA struct {
	// Required makes every sign-in prove a second factor (or a passkey);
	// false leaves it to clients' require_mfa and requests' acr_values.
	Required bool
	// Allowed are the factor kinds users may use (store.FactorPasskey,
	// store.FactorTOTP). Empty means both.
	Allowed []string
	// RPID is the WebAuthn relying party ID. Empty means the issuer's
	// host.
	RPID string
	// Origins are the origins passkey ceremonies may run on. Empty means
	// the issuer's origin.
	Origins []string
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
