package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/guard"
)

// cookieAuth lets a browser on a trusted web origin authenticate with the
// OAuth Agent's access-token cookie: after the agent's Origin and CSRF
// checks, the decrypted token is forwarded to next, the guard, whose 401
// tells the app to call the agent's /refresh. A token the agent's provider
// bound to the agent's DPoP key goes under the DPoP scheme with a proof of
// that key for this request, its htu being public (the gateway's
// public_url) and the request's path (RFC 9449 section 7.1), so that the
// guard checks it like any DPoP request and the token alone, lifted from
// a cookie or an upstream's log, is worthless; any other token goes as a
// bearer token. The agent's cookies never reach the upstream. A request
// that carries an Authorization header is a client's own and passes as it
// is. The proof carries the current nonce of nonces, the gateway's own
// resource-server nonces, when set. Its own refusals are reported to
// reporter (nil: nowhere), as the guard's are.
func cookieAuth(cookies *agent.CookieReader, public *url.URL, nonces *dpop.Nonces, reporter *usageReporter, next http.Handler) http.Handler {
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
			reporter.report(r, nil, guard.OutcomeInvalidRequest)
			return
		case errors.Is(err, agent.ErrMissingCSRFHeader):
			reply(w, http.StatusForbidden, "missing_csrf_header", "cookie requests that change data must carry the header token-handler-version: 1")
			reporter.report(r, nil, guard.OutcomeInvalidRequest)
			return
		case errors.Is(err, agent.ErrDuplicateCookie):
			// Nothing is deleted: the other copy would be used alone.
			reply(w, http.StatusForbidden, "conflicting_cookies", "the request carries two access token cookies; another host of this domain may have set one: clear this site's cookies and sign in again")
			reporter.report(r, nil, guard.OutcomeInvalidRequest)
			return
		case errors.Is(err, agent.ErrInvalidCookie):
			cookies.ClearAccessToken(w)
			reply(w, http.StatusUnauthorized, "invalid_token", "the access token cookie cannot be decrypted; call the OAuth Agent's /refresh")
			reporter.report(r, nil, guard.OutcomeInvalidToken)
			return
		case err != nil:
			reply(w, http.StatusUnauthorized, "invalid_token", "no access token cookie; call the OAuth Agent's /refresh")
			reporter.report(r, nil, guard.OutcomeNoToken)
			return
		}
		r = r.Clone(r.Context())
		cookies.StripCookies(r.Header)
		switch err := cookies.Present(r.Header, token, r.Method, proofTarget(public, r), currentNonce(nonces)); {
		case errors.Is(err, agent.ErrUnknownDPoPKey):
			reply(w, http.StatusUnauthorized, "invalid_token", "the access token is bound to a DPoP key the OAuth Agent no longer holds; call the OAuth Agent's /refresh")
			reporter.report(r, nil, guard.OutcomeInvalidToken)
			return
		case err != nil:
			reply(w, http.StatusInternalServerError, "server_error", "the gateway could not sign a DPoP proof")
			reporter.report(r, nil, guard.OutcomeUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// currentNonce is the nonce the gateway's own proofs carry: the one its
// guard expects, or none when it expects none.
func currentNonce(nonces *dpop.Nonces) string {
	if nonces == nil {
		return ""
	}
	return nonces.Issue(time.Now())
}

// proofTarget is the htu of the gateway's proofs for r: the public URL
// and the path as the client sent it, which the gateway has checked is in
// its one canonical spelling and forwards unchanged. Empty without a
// public URL, which Config.Validate requires when proofs are made.
func proofTarget(public *url.URL, r *http.Request) string {
	if public == nil {
		return ""
	}
	return public.Scheme + "://" + public.Host + r.URL.EscapedPath()
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
