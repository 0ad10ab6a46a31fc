package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// maxForm bounds a form's body: the console's forms are small.
const maxForm = 64 << 10

// handler is a console page or form handler for a signed-in user.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn serves h to a signed-in user holding a console role; write,
// when set, is the management API scope a change needs. It refreshes the
// access token when it nears expiry, checks the CSRF token of every POST,
// and refuses a change the user's token could not make (the management
// API would refuse it too) before calling the API.
func (c *Console) signedIn(write string, h handler) http.Handler {
	return c.session(func(w http.ResponseWriter, r *http.Request, s *session) {
		if !s.anyAdmin() {
			c.render(w, r, s, http.StatusForbidden, "noaccess.html", &view{Title: "No access to the console"})
			return
		}
		if write != "" && !s.can(write) {
			c.render(w, r, s, http.StatusForbidden, "problem.html", &view{Title: "You cannot change this",
				Data: problemPage{Detail: "Your role lets you see this part of the console, not change it. Ask an administrator."}})
			return
		}
		h(w, r, s)
	})
}

// session serves h with the request's session, after the checks every
// signed-in request gets; a request without a valid session is sent to
// sign in (a page) or refused (a form).
func (c *Console) session(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s session
		now := c.cfg.Now()
		if c.readCookie(r, sessionCookie, &s) != nil || now.Sub(s.Started) > sessionTTL || s.ID == "" {
			c.signInAgain(w, r)
			return
		}
		if s.Expiry.Sub(now) < refreshMargin {
			if err := c.refresh(r.Context(), &s); err != nil {
				c.cfg.Log.Info("console: session ended", "sub", s.Sub, "err", err)
				c.signInAgain(w, r)
				return
			}
			if err := c.setCookie(w, sessionCookie, s, sessionTTL-now.Sub(s.Started)); err != nil {
				c.fail(w, r, err)
				return
			}
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil {
				c.problem(w, r, http.StatusBadRequest, "Invalid form", "The form could not be read. Go back and send it again.", false)
				return
			}
			if !c.checkCSRF(&s, r.PostForm.Get("csrf")) {
				c.problem(w, r, http.StatusForbidden, "Request refused", "This form was not sent from a console page of your current session. Reload the page and try again.", false)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, &s)), &s)
	})
}

// sessionKey is the context key of the session a request is served with,
// which done binds a change's flash to.
type sessionKey struct{}

// signInAgain clears a missing, damaged or ended session: a page
// redirects to sign in and back; a form is refused, since what it carried
// cannot be replayed after the sign-in.
func (c *Console) signInAgain(w http.ResponseWriter, r *http.Request) {
	c.clearCookie(w, sessionCookie)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next := c.base + strings.TrimPrefix(r.URL.RequestURI(), Path)
		http.Redirect(w, r, c.base+"login?"+url.Values{"next": {next}}.Encode(), http.StatusSeeOther)
		return
	}
	c.problem(w, r, http.StatusUnauthorized, "Your session ended", "Sign in again, then repeat the change.", true)
}

// done ends a change: the result goes in the flash cookie, bound to the
// request's session, and the browser to the page that shows it (303, so a
// reload does not repeat the change).
func (c *Console) done(w http.ResponseWriter, r *http.Request, to string, f flash) {
	if s, ok := r.Context().Value(sessionKey{}).(*session); ok {
		f.Session = s.ID
	}
	if err := c.setCookie(w, flashCookie, f, flashTTL); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
