// Package signin is the browser-facing side of the authorization server:
// the authorization endpoint as a person's browser meets it (RFC 6749
// section 3.1, OpenID Connect Core section 3.1.2), the login, consent and
// logout pages (OpenID Connect RP-Initiated Logout 1.0), their templates and
// stylesheet, the browser and session cookies with the forms' CSRF tokens,
// the sign-on session, and the flow that ends in an authorization code.
//
// It owns no protocol decisions: whether an authorization request is valid,
// which clients exist, whether an ID token hint is genuine and where
// security events go are the authorization server's (package authserver),
// which it reaches through Core. authserver builds a Server and mounts its
// routes; nothing else needs to.
package signin

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"time"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/theme"
)

// Config is what the sign-in pages need from the authorization server's
// configuration. authserver.New fills every field, defaults applied; none
// has a default here.
type Config struct {
	// Issuer is the issuer identifier: the iss of authorization responses
	// (RFC 9207), and the scheme and path of the cookies.
	Issuer string
	// Now returns the current time. It must not be nil.
	Now func() time.Time
	// SessionTTL is how long a sign-in lasts.
	SessionTTL time.Duration
	// Throttle slows down password guessing per account at a client
	// address, AddressThrottle per client address. Neither may be nil.
	Throttle, AddressThrottle Throttle
	// Secret is the server secret (keys.Secret) that keys the forms' CSRF
	// tokens and the audit trail's digests of unknown usernames. Instances
	// behind one issuer share it, so each accepts the others' forms.
	Secret []byte
	// Theme names and colours the pages. Nil means theme.Default().
	Theme *theme.Theme
	// TemplatesDir is a folder of page templates that replace the
	// embedded ones of the same file name. Empty means none.
	TemplatesDir string
	// MFA is the multi-factor policy and the factors' machinery.
	MFA MFA
	// Connectors are the upstream identity providers offered, in order;
	// PasswordDisabled hides the password form and refuses passwords.
	Connectors       []Connector
	PasswordDisabled bool
}

// MFA is the multi-factor policy (config mfa) and the factors (package
// mfa) the pages use.
type MFA struct {
	// Required makes every sign-in use a second factor (mfa.required).
	Required bool
	// Allowed are the kinds users may enrol and use; empty means all.
	Allowed []string
	// Sealer seals ceremony state and secrets in pages; TOTP and
	// WebAuthn run the factors.
	Sealer   *mfa.Sealer
	TOTP     *mfa.TOTP
	WebAuthn *mfa.WebAuthn
	// CeremonyTimeout is how long a WebAuthn ceremony's state lives
	// (mfa.WebAuthnConfig.Timeout): its spent challenge is kept as long.
	CeremonyTimeout time.Duration
}

// Throttle counts sign-in attempts per key (an account at an address, an
// address; users.LoginKeys makes them) and says how long the next attempt
// must wait. users.Throttle implements it in memory, redisstate shares it
// between instances.
type Throttle interface {
	// Try atomically checks the keys and, if none must wait, counts an
	// attempt as failed in advance; otherwise it counts nothing and
	// returns the wait.
	Try(keys ...string) time.Duration
	// Refund takes back one attempt Try counted that was not a failure.
	Refund(keys ...string)
	// Succeed clears the keys' failures.
	Succeed(keys ...string)
}

// Core is what the sign-in pages need from the authorization server.
type Core interface {
	// Authorization validates the parameters of an authorization request
	// (RFC 6749 section 4.1.1, RFC 7636, OpenID Connect Core section
	// 3.1.2.1), or resolves and consumes the pushed request its
	// request_uri names (RFC 9126 section 4).
	Authorization(ctx context.Context, params url.Values) (store.AuthRequest, store.Client, *Refusal)
	// Client finds a registered client; any error means it cannot be used.
	Client(ctx context.Context, id string) (store.Client, error)
	// APIScopes describes each of scopes for the consent page; the zero
	// APIScope for a scope no API defines. The APIs may change between
	// calls.
	APIScopes(scopes []string) []APIScope
	// UserScopes is what of scopes the user u may be granted: the
	// consent page lists it, consent records it and the code carries it.
	UserScopes(u store.User, scopes []string) []string
	// RefreshMaxTTL is the absolute lifetime of the client's refresh
	// token families: a grant created with a code lives that long after
	// the code expires.
	RefreshMaxTTL(c store.Client) time.Duration
	// IDTokenHint verifies an ID token the server issued, expired or not,
	// and returns its subject and audience.
	IDTokenHint(raw string) (sub string, aud []string, ok bool)
	// ParseForm parses a form posted by a page into r.PostForm, by the
	// rules of the token endpoint's forms (RFC 6749 section 3.2). The
	// error's text may be shown to the user; a body over the limit is
	// reported by its *http.MaxBytesError.
	ParseForm(w http.ResponseWriter, r *http.Request) error
	// ClientIP is the address of the client that sent r.
	ClientIP(r *http.Request) string
	// HoldPending counts an authorization request about to be stored
	// under id until until against r's client address, in the limit it
	// shares with pushed requests; when the address or the server holds
	// too many, it says how long to wait instead.
	HoldPending(r *http.Request, id string, until time.Time) (ok bool, retryAfter time.Duration)
	// ReleasePending uncounts the request stored under id, once used up.
	ReleasePending(id string)
	// Limit counts a request of r's client address against the rate
	// limit named name: usage.LimitAuthorize or usage.LimitSignIn (other
	// names limit nothing). Over it, it sets Retry-After and the RateLimit
	// headers on w and says how long to wait.
	Limit(w http.ResponseWriter, r *http.Request, name string) (ok bool, retryAfter time.Duration)
	// Event records a security event of a request. kv are key-value
	// pairs: "sub" and "client_id" name the user and client, the rest are
	// detail. Never pass a secret or a token.
	Event(r *http.Request, level slog.Level, typ string, kv ...any)
	// StoreFailed reports a store failure a page met, so that write
	// faults (*store.WriteFault) count against readiness as the token
	// endpoints' do.
	StoreFailed(err error)
}

// APIScope is what the consent page says of a scope an API defines.
type APIScope struct {
	// API names the first API that defines the scope.
	API string
	// Description is the API's description of the scope; empty if it
	// has none.
	Description string
}

// Refusal is an authorization request the server refuses (RFC 6749 section
// 4.1.2.1).
type Refusal struct {
	// Code and Description are the error and error_description.
	Code, Description string
	// Status is the HTTP status the error would have as a JSON answer; 500
	// and above mean the server failed, not the request.
	Status int
	// RedirectURI is where the error goes back to the client. It is empty
	// when the client or its redirect URI could not be verified: the user
	// then sees an error page, since redirecting would make the server an
	// open redirector.
	RedirectURI string
	// State is the client's state, returned with the error.
	State string
}

// Server serves the sign-in endpoints.
type Server struct {
	cfg     Config
	core    Core
	store   store.Store
	log     *slog.Logger
	cookies cookieSettings
	keys    macKeys
	// theme, pages and css are the look: the theme, the page templates
	// and the stylesheet with the theme's custom properties.
	theme *theme.Theme
	pages *template.Template
	css   []byte
	// hashSlots bounds concurrent password verifications: each argon2id
	// run holds 19 MiB, so a flood of logins must queue, not exhaust memory.
	hashSlots chan struct{}
}

// New builds a Server.
func New(cfg Config, core Core, st store.Store, log *slog.Logger) (*Server, error) {
	issuerURL, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("signin: issuer: %w", err)
	}
	th := cfg.Theme
	if th == nil {
		th = theme.Default()
	}
	pages, err := loadTemplates(cfg.TemplatesDir, th)
	if err != nil {
		return nil, fmt.Errorf("signin: %w", err)
	}
	return &Server{
		cfg: cfg, core: core, store: st, log: log,
		cookies:   newCookieSettings(issuerURL.Scheme == "https", cmp.Or(issuerURL.Path, "/")),
		keys:      newMACKeys(cfg.Secret),
		hashSlots: make(chan struct{}, 2*runtime.GOMAXPROCS(0)),
		theme:     th, pages: pages, css: append(slices.Clip(th.Variables()), baseCSS...),
	}, nil
}

// Routes registers the sign-in endpoints with route, which serves h at path
// for the given methods.
func (s *Server) Routes(route func(path string, h http.HandlerFunc, methods ...string)) {
	// OpenID Connect requires both GET and POST for these.
	route("/authorize", s.handleAuthorize, "GET", "POST")
	route("/logout", s.handleLogout, "GET", "POST")
	route("/authorize/resume", s.handleResume, "GET")
	route("/login", s.handleLogin, "POST")
	route("/login/factor", s.handleFactor, "POST")
	route("/login/passkey", s.handlePasskeyLogin, "POST")
	route("/login/connector", s.handleConnector, "POST")
	route("/login/callback", s.handleCallback, "GET")
	route("/consent", s.handleConsent, "POST")
	route("/static/portcullis.css", s.handleCSS, "GET")
	route("/static/passkey.js", s.handlePasskeyJS, "GET")
	route("/static/favicon.svg", s.theme.ServeFavicon, "GET")
	route("/favicon.ico", s.theme.ServeFavicon, "GET")
	route("/static/logo", s.theme.ServeLogo, "GET")
	// The root only ({$}): other unknown paths stay 404.
	route("/{$}", s.handleLanding, "GET")
	s.accountRoutes(route)
}
