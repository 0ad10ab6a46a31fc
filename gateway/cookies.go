package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/agent"
)

// cookieAuth lets a browser on a trusted web origin authenticate with the
// OAuth Agent's access-token cookie: after the agent's Origin and CSRF
// checks, the decrypted token is forwarded as a bearer token to next, the
// guard, whose 401 tells the app to call the agent's /refresh. The agent's
// cookies never reach the upstream. A request that carries an
// Authorization header is a bearer client's and passes as it is.
func cookieAuth(cookies *agent.CookieReader, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookies.CORS(w, r)
		if _, ok := r.Header["Authorization"]; ok {
			// A bearer request still must not carry the agent's cookies
			// upstream.
			r = r.Clone(r.Context())
			cookies.StripCookies(r.Header)
			next.ServeHTTP(w, r)
			return
		}
		token, err := cookies.AccessToken(r)
		switch {
		case errors.Is(err, agent.ErrUntrustedOrigin):
			reply(w, http.StatusForbidden, "untrusted_origin", "cookie requests must come from a trusted web origin")
			return
		case errors.Is(err, agent.ErrMissingCSRFHeader):
			reply(w, http.StatusForbidden, "missing_csrf_header", "cookie requests that change data must carry the header token-handler-version: 1")
			return
		case errors.Is(err, agent.ErrDuplicateCookie):
			// Nothing is deleted: the other copy would be used alone.
			reply(w, http.StatusForbidden, "conflicting_cookies", "the request carries two access token cookies; another host of this domain may have set one: clear this site's cookies and sign in again")
			return
		case errors.Is(err, agent.ErrInvalidCookie):
			cookies.ClearAccessToken(w)
			reply(w, http.StatusUnauthorized, "invalid_token", "the access token cookie cannot be decrypted; call the OAuth Agent's /refresh")
			return
		case err != nil:
			reply(w, http.StatusUnauthorized, "invalid_token", "no access token cookie; call the OAuth Agent's /refresh")
			return
		}
		r = r.Clone(r.Context())
		cookies.StripCookies(r.Header)
		r.Header.Set("Authorization", "Bearer "+token)
		next.ServeHTTP(w, r)
	})
}

// stripCORS removes an upstream's own CORS headers on cookie routes, where
// the gateway answers CORS: two Access-Control-Allow-Origin values would
// make the browser refuse the answer.
func stripCORS(resp *http.Response) error {
	for name := range resp.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(resp.Header, name)
		}
	}
	return nil
}

// preflight answers a CORS preflight request for a cookie route at the
// checked path p, and reports whether r was one.
func (gw *Gateway) preflight(w http.ResponseWriter, r *http.Request, p string) bool {
	method := r.Header.Get("Access-Control-Request-Method")
	if gw.cookies == nil || r.Method != http.MethodOptions || method == "" {
		return false
	}
	rt, _ := gw.routes.lookup(p, method)
	if rt == nil || !rt.cookies {
		return false
	}
	gw.cookies.Preflight(w, r, method)
	return true
}
