package agent

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
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
}

// endpoint is one of the agent's endpoints.
type endpoint struct {
	method string
	handle func(http.ResponseWriter, *http.Request) *apiError
}

// New validates cfg, reads the provider's discovery document within ctx and
// builds the agent. The provider must be reachable: New fails with
// ErrDiscovery otherwise. log receives provider failures and refused
// cookies, never a token or a cookie value; nil means slog.Default().
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
	p, err := discover(ctx, cfg, &http.Client{Timeout: providerTimeout})
	if err != nil {
		return nil, err
	}
	redirect, _ := url.Parse(cfg.RedirectURI) // validated
	// With base path "/", the endpoints are /login/start and so on.
	base := strings.TrimSuffix(cfg.BasePath, "/")
	prefix := cfg.CookiePrefix
	a := &Agent{
		log: log, provider: p, reader: reader, redirect: redirect,
		scope: cfg.Scope, postLogout: cfg.PostLogoutRedirectURI, clientID: cfg.ClientID,
		// The refresh token goes to /refresh and, in a copy of the same
		// name, to /logout (to revoke it) alone. The ID token goes to
		// /claims and to /logout (as id_token_hint) and /refresh (to check
		// a new one's subject), so to the agent's whole path, but never to
		// the gateway. Logins in progress go to /login/start and /end.
		refresh:       cookie{name: prefix + refreshSuffix, path: base + "/refresh"},
		logoutRefresh: cookie{name: prefix + refreshSuffix, path: base + "/logout"},
		id:            cookie{name: prefix + idSuffix, path: orRoot(base)},
		login:         cookie{name: prefix + loginSuffix, path: base + "/login"},
		refreshes:     newRefreshes(),
	}
	a.routes = map[string]endpoint{
		base + "/login/start": {http.MethodPost, a.loginStart},
		base + "/login/end":   {http.MethodPost, a.loginEnd},
		base + "/userInfo":    {http.MethodGet, a.userInfo},
		base + "/claims":      {http.MethodGet, a.claims},
		base + "/refresh":     {http.MethodPost, a.refreshTokens},
		base + "/logout":      {http.MethodPost, a.logout},
	}
	return a, nil
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
	} else if e.code == codeInvalidCookie || e.code == codeUntrustedOrigin || e.code == codeMissingCSRFHeader {
		level = slog.LevelInfo
	}
	a.log.Log(r.Context(), level, "oauth agent: request refused", "path", r.URL.Path, "status", e.status, "code", e.code, "err", e)
	e.write(w)
}

// providerFailure turns a failed call to the provider into the answer:
// 503 when it could not be reached (the app may retry; nothing was lost),
// 502 when it answered badly, and 400 with the provider's error code for
// an OAuth error, which means a bad request or a misconfiguration.
func providerFailure(err error) *apiError {
	var oe *oauthError
	switch {
	case errors.Is(err, errUnreachable):
		return &apiError{status: http.StatusServiceUnavailable, code: codeProviderUnavailable, message: "the OpenID provider cannot be reached; try again later", err: err}
	case errors.Is(err, errInvalidIDToken):
		return &apiError{status: http.StatusBadGateway, code: codeInvalidIDToken, message: "the OpenID provider's ID token failed verification", err: err}
	case errors.As(err, &oe):
		return &apiError{status: http.StatusBadRequest, code: safeCode(oe.code), message: safeText(oe.description, "the OpenID provider refused the request"), err: err}
	default:
		return &apiError{status: http.StatusBadGateway, code: codeProviderError, message: "the OpenID provider answered badly", err: err}
	}
}

// setSession stores a token response in the cookies. A login replaces the
// whole session, so a refresh token of an earlier one is deleted when the
// new response has none; a refresh keeps the cookies it does not replace.
func (a *Agent) setSession(w http.ResponseWriter, tok *oauth2.Token, idToken string, login bool) *apiError {
	if !fits(a.reader.access, len(tok.AccessToken)) || !fits(a.refresh, len(tok.RefreshToken)) || !fits(a.id, len(idToken)) {
		return newError(http.StatusBadGateway, codeProviderError, "a token is too large for a cookie")
	}
	j := a.reader.jar
	j.set(w, a.reader.access, []byte(tok.AccessToken), 0)
	switch {
	case tok.RefreshToken != "":
		for _, c := range []cookie{a.refresh, a.logoutRefresh} {
			j.set(w, c, []byte(tok.RefreshToken), 0)
		}
	case login:
		j.clear(w, a.refresh)
		j.clear(w, a.logoutRefresh)
	}
	if idToken != "" {
		j.set(w, a.id, []byte(idToken), 0)
	}
	return nil
}

// clearSession deletes the session cookies.
func (a *Agent) clearSession(w http.ResponseWriter) {
	for _, c := range []cookie{a.reader.access, a.refresh, a.logoutRefresh, a.id} {
		a.reader.jar.clear(w, c)
	}
}

// readSession reads one of the session cookies: 401 no_session without it,
// and 401 invalid_cookie with every session cookie deleted when it does
// not decrypt.
func (a *Agent) readSession(w http.ResponseWriter, r *http.Request, c cookie) ([]byte, *apiError) {
	v, e := a.optionalSession(w, r, c)
	if e == nil && v == nil {
		return nil, newError(http.StatusUnauthorized, codeNoSession, "not signed in")
	}
	return v, e
}

// optionalSession is readSession for a cookie the request may lack: nil
// without it.
func (a *Agent) optionalSession(w http.ResponseWriter, r *http.Request, c cookie) ([]byte, *apiError) {
	v, err := a.reader.jar.read(r, c)
	switch {
	case errors.Is(err, ErrNoCookie):
		return nil, nil
	case err != nil:
		a.clearSession(w)
		return nil, &apiError{status: http.StatusUnauthorized, code: codeInvalidCookie, message: "a session cookie cannot be decrypted; sign in again", err: err}
	}
	return v, nil
}
