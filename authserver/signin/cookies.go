package signin

import (
	"net/http"

	"github.com/portcullis/portcullis/authserver/internal/wire"
)

// Cookie names. The session cookie is the single sign-on session; the
// browser cookie binds pending authorization requests and form CSRF tokens
// to one browser. Over https at the root path they carry the __Host- prefix,
// which browsers only accept from this exact host, so a sibling subdomain
// cannot plant one (cookie tossing).
const (
	sessionCookieName = "portcullis_session"
	browserCookieName = "portcullis_browser"
)

// cookieSettings are derived from the issuer URL: Secure unless the issuer
// is plain http (which config allows only on loopback).
type cookieSettings struct {
	secure bool
	path   string
	// session and browser are the cookie names in use.
	session, browser string
}

func newCookieSettings(secure bool, path string) cookieSettings {
	c := cookieSettings{secure: secure, path: path, session: sessionCookieName, browser: browserCookieName}
	if secure && path == "/" {
		c.session, c.browser = "__Host-"+c.session, "__Host-"+c.browser
	}
	return c
}

// set writes an HttpOnly, SameSite=Lax cookie: Lax so that the top-level
// navigation from a client to /authorize carries the session.
func (c cookieSettings) set(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: c.path, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clear deletes a cookie set by set.
func (c cookieSettings) clear(w http.ResponseWriter, name string) { c.set(w, name, "", -1) }

// browserID returns the browser cookie, setting a new one if there is none.
// A new one is also added to r, so that later reads while answering this
// request see the same value.
func (s *Server) browserID(w http.ResponseWriter, r *http.Request) string {
	if v, ok := s.cookies.browserCookieValue(r); ok {
		return v
	}
	id := wire.RandomToken()
	s.cookies.set(w, s.cookies.browser, id, 0)
	r.AddCookie(&http.Cookie{Name: s.cookies.browser, Value: id})
	return id
}

// browserCookieValue returns the well-formed browser cookie of r, if any.
func (c cookieSettings) browserCookieValue(r *http.Request) (string, bool) {
	name := c.browser
	for _, c := range r.CookiesNamed(name) {
		if len(c.Value) == 43 {
			return c.Value, true
		}
	}
	return "", false
}
