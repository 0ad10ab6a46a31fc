package gateway

import (
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/dpop"
)

// CookieAuth is cookieAuth without usage reports, for tests that put a
// stand-in for the guard behind it.
func CookieAuth(cookies *agent.CookieReader, public *url.URL, nonces *dpop.Nonces, next http.Handler) http.Handler {
	return cookieAuth(cookies, public, nonces, nil, next)
}
