package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/backoff"
	"github.com/portcullis/portcullis/usage"
)

// Agent is the OAuth Agent, an http.Handler serving the endpoints under
// Config.BasePath; every other path is answered 404. It keeps no state
// between requests but refresh results, for 30 seconds, so any number of
// instances sharing the cookie keys serve the same users.
type Agent struct {
	log        *slog.Logger
	provider   *provider
	reader     *CookieReader
	redirect   *url.URL
	scope      string
	postLogout string
	clientID   string
	// refresh, logoutRefresh, id and login are the cookies only the agent
	// reads; the access-token cookie is reader.access. logoutRefresh is
	// the refresh token again, scoped to /logout.
	refresh, logoutRefresh, id, login cookie
	routes                            map[string]endpoint
	refreshes                         *refreshes
	// starts limits the logins started per client address (loginstart.go),
	// told behind trustedProxies.
	starts         *usage.Gate
	startLimit     usage.Limit
	trustedProxies []netip.Prefix
	// ready guards provider, set once discovery succeeds: no request
	// reaches an endpoint before.
	ready backoff.Start
}

// endpoint is one of the agent's endpoints.
type endpoint struct {
	method string
	handle func(http.ResponseWriter, *http.Request) *apiError
}

// New validates cfg, reads the provider's discovery document within ctx and
// builds the agent. A document that cannot be used (it lacks what the agent
// needs) fails New with ErrDiscovery; one that cannot be read (the
// provider is not up yet) does not: New returns the agent, which reads it
// again in the background with capped exponential backoff until it
// succeeds or ctx ends, and answers its endpoints 503
// provider_unavailable with Retry-After meanwhile, Ready saying why. So
// ctx must last as long as the agent serves. log receives provider
// failures and refused cookies, never a token or a cookie value; nil
// means slog.Default().
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	reader, err := NewCookieReader(cfg.Cookies())
	if err != nil {
		return nil, err
	}
	redirect, _ := url.Parse(cfg.RedirectURI) // validated
	// With base path "/", the endpoints are /login/start and so on.
	base := strings.TrimSuffix(cfg.BasePath, "/")
	prefix, secure := cfg.CookiePrefix, reader.jar.secure
	a := &Agent{
		log: log, reader: reader, redirect: redirect,
		scope: cfg.Scope, postLogout: cfg.PostLogoutRedirectURI, clientID: cfg.ClientID,
		// The refresh token goes to /refresh and, in a copy of the same
		// name, to /logout (to revoke it) alone. The ID token goes to
		// /claims, /userInfo and /refresh (to check a new one's subject),
		// so to the agent's whole path, but never to the gateway unless
		// the agent is at the root. Logins in progress sit at the root
		// too, though only /login/start and /end read them: there alone
		// the cookie can be __Host-, which no sibling host can plant with
		// its own login's state to sign the victim into its account
		// (login CSRF). The gateway strips it with the others.
		refresh:       newCookie(prefix, refreshSuffix, base+"/refresh", secure),
		logoutRefresh: newCookie(prefix, refreshSuffix, base+"/logout", secure),
		id:            newCookie(prefix, idSuffix, orRoot(base), secure),
		login:         newCookie(prefix, loginSuffix, "/", secure),
		refreshes:     newRefreshes(),
		starts:        usage.NewGate(cfg.Limiter, cfg.Usage, nil), startLimit: cfg.LoginStartLimit, trustedProxies: cfg.TrustedProxies,
	}
	a.routes = map[string]endpoint{
		base + "/login/start": {http.MethodPost, a.loginStart},
		base + "/login/end":   {http.MethodPost, a.loginEnd},
		base + "/userInfo":    {http.MethodGet, a.userInfo},
		base + "/claims":      {http.MethodGet, a.claims},
		base + "/refresh":     {http.MethodPost, a.refreshTokens},
		base + "/logout":      {http.MethodPost, a.logout},
	}
	client := &http.Client{Timeout: providerTimeout}
	find := func(ctx context.Context) error {
		p, err := discover(ctx, cfg, client)
		if err != nil {
			return err
		}
		p.prove(reader.dpop)
		a.provider = p
		a.ready.MarkReady()
		return nil
	}
	switch err := find(ctx); {
	case errors.Is(err, errNoDocument):
		go a.ready.Retry(ctx, backoff.Issuer, err, find, log, "oauth agent")
	case err != nil:
		return nil, err
	}
	return a, nil
}

// Ready returns nil once the agent has read its provider's discovery
// document, and until then an error wrapping ErrNotReady and the last
// failure to read it, for a readiness check.
func (a *Agent) Ready() error {
	switch f := a.ready.Failure(); {
	case a.ready.Ready():
		return nil
	case f == nil:
		return ErrNotReady
	default:
		return fmt.Errorf("%w: %w", ErrNotReady, f)
	}
}

// orRoot is base, or "/" for the root.
func orRoot(base string) string {
	if base == "" {
		return "/"
	}
	return base
}

// ServeHTTP routes the request. Every answer to a trusted origin carries
// the CORS headers, errors included, so the app can read them; preflight
// requests are answered before the cross-site checks, which every other
// request must pass.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.reader.CORS(w, r)
	ep, ok := a.routes[r.URL.Path]
	switch {
	case !ok:
		newError(http.StatusNotFound, codeNotFound, "no such endpoint").write(w)
		return
	case !a.ready.Ready():
		// Not logged per request: the retries log why.
		w.Header().Set("Retry-After", strconv.Itoa(int(a.ready.RetryAfter(time.Now())/time.Second)))
		newError(http.StatusServiceUnavailable, codeProviderUnavailable, "the OpenID provider has not been reached yet; try again later").write(w)
		return
	case r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "":
		a.reader.Preflight(w, r, ep.method)
		return
	case r.Method != ep.method:
		w.Header().Set("Allow", ep.method)
		newError(http.StatusMethodNotAllowed, codeMethodNotAllowed, "use "+ep.method).write(w)
		return
	}
	if err := a.reader.check(r); err != nil {
		e := newError(http.StatusForbidden, codeUntrustedOrigin, "the request must come from a trusted web origin")
		if errors.Is(err, ErrMissingCSRFHeader) {
			e = newError(http.StatusForbidden, codeMissingCSRFHeader, "the request must carry the header token-handler-version: 1")
		}
		a.fail(w, r, e)
		return
	}
	if e := ep.handle(w, r); e != nil {
		a.fail(w, r, e)
	}
}

// fail logs e and sends it. Provider failures are warnings; refusals of
// the browser's request are routine.
func (a *Agent) fail(w http.ResponseWriter, r *http.Request, e *apiError) {
	level := slog.LevelDebug
	if e.status >= 500 {
		level = slog.LevelWarn
	} else if e.code == codeInvalidCookie || e.code == codeConflictingCookies || e.code == codeUntrustedOrigin || e.code == codeMissingCSRFHeader {
		level = slog.LevelInfo
	}
	a.log.Log(r.Context(), level, "oauth agent: request refused", "path", r.URL.Path, "status", e.status, "code", e.code, "err", e)
	e.write(w)
}

// providerFailure turns a failed call to the provider into the answer:
// 503 when it could not be reached or is over its limits (429: the app
// may retry; nothing was lost),
// 502 when it answered badly, and 400 with the provider's error code for
// an OAuth error, which means a bad request or a misconfiguration.
func providerFailure(err error) *apiError {
	var oe *oauthError
	switch {
	case errors.Is(err, errUnreachable):
		return &apiError{status: http.StatusServiceUnavailable, code: codeProviderUnavailable, message: "the OpenID provider cannot be reached; try again later", err: err}
	case errors.Is(err, errInvalidIDToken):
		return &apiError{status: http.StatusBadGateway, code: codeInvalidIDToken, message: "the OpenID provider's ID token failed verification", err: err}
	case errors.As(err, &oe) && oe.status == http.StatusTooManyRequests:
		return &apiError{status: http.StatusServiceUnavailable, code: codeProviderUnavailable, message: "the OpenID provider is busy; try again later", err: err}
	case errors.As(err, &oe):
		return &apiError{status: http.StatusBadRequest, code: safeCode(oe.code), message: safeText(oe.description, "the OpenID provider refused the request"), err: err}
	default:
		return &apiError{status: http.StatusBadGateway, code: codeProviderError, message: "the OpenID provider answered badly", err: err}
	}
}

// tokens are what a session's cookies hold: empty strings for cookies
// not to write.
type tokens struct{ access, refresh, id string }

// setSession stores tokens in the cookies of login sid. A login replaces
// the whole session, so a refresh token of an earlier one is deleted when
// the new response has none; a refresh keeps the cookies it does not
// replace.
func (a *Agent) setSession(w http.ResponseWriter, sid loginID, t tokens, login bool) *apiError {
	if !fits(a.reader.access, len(t.access)) || !fits(a.refresh, len(t.refresh)) || !fits(a.id, len(t.id)) {
		return newError(http.StatusBadGateway, codeProviderError, "a token is too large for a cookie")
	}
	j := a.reader.jar
	j.set(w, a.reader.access, sid, []byte(t.access), 0)
	switch {
	case t.refresh != "":
		for _, c := range []cookie{a.refresh, a.logoutRefresh} {
			j.set(w, c, sid, []byte(t.refresh), 0)
		}
	case login:
		j.clear(w, a.refresh)
		j.clear(w, a.logoutRefresh)
	}
	if t.id != "" {
		j.set(w, a.id, sid, []byte(t.id), 0)
	}
	return nil
}

// clearSession deletes the session cookies.
func (a *Agent) clearSession(w http.ResponseWriter) {
	for _, c := range []cookie{a.reader.access, a.refresh, a.logoutRefresh, a.id} {
		a.reader.jar.clear(w, c)
	}
}

// session is the decrypted session cookies of a request, all of login
// sid; refresh and id are nil when the request lacks them (the refresh
// token cookie reaches /refresh only).
type session struct {
	sid                 loginID
	access, refresh, id []byte
}

// errMixedLogins means a request's session cookies are of two logins.
var errMixedLogins = errors.New("session cookies of two logins")

// readSession reads the session cookies r carries. The access-token
// cookie anchors the session: it is the one cookie at the root path, so
// the one that can be a __Host- cookie, which no other host of the domain
// can plant. Without it there is no session (nil, even if other cookies
// are there); with it, every other session cookie must be of its login.
// A cookie that does not decrypt is 401 invalid_cookie, with the session
// cookies deleted; two of one name, or cookies of two logins, is 403
// conflicting_cookies, deleting nothing, since the foreign copy, set by
// another host or path, would outlive the deletion and be used alone.
func (a *Agent) readSession(w http.ResponseWriter, r *http.Request) (*session, *apiError) {
	s := &session{}
	for i, c := range []struct {
		cookie
		value *[]byte
	}{{a.reader.access, &s.access}, {a.refresh, &s.refresh}, {a.id, &s.id}} {
		sid, v, err := a.reader.jar.read(r, c.cookie)
		switch {
		case errors.Is(err, ErrNoCookie) && i == 0:
			return nil, nil
		case errors.Is(err, ErrNoCookie):
			continue
		case errors.Is(err, ErrDuplicateCookie):
			return nil, conflictingCookies(err)
		case err != nil:
			a.clearSession(w)
			return nil, &apiError{status: http.StatusUnauthorized, code: codeInvalidCookie, message: "a session cookie cannot be decrypted; sign in again", err: err}
		case i == 0:
			s.sid = sid
		case sid != s.sid:
			return nil, conflictingCookies(errMixedLogins)
		}
		*c.value = v
	}
	return s, nil
}

// conflictingCookies is the 403 for ErrDuplicateCookie and errMixedLogins.
func conflictingCookies(err error) *apiError {
	return &apiError{status: http.StatusForbidden, code: codeConflictingCookies, message: "the request carries agent cookies that another host or path of this domain may have set; clear this site's cookies and sign in again", err: err}
}

// noSession is the 401 for a request without a session.
func noSession() *apiError {
	return newError(http.StatusUnauthorized, codeNoSession, "not signed in")
}
