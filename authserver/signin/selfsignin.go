package signin

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/store"
)

// A self sign-in is a sign-in to this server's own pages (the account
// page), not to a client: its pending request has no ClientID, and its
// RedirectURI is the local path to return to once the user has signed in
// and proved the factors policy asks for. It never yields a code or
// consent.

// isSelf tells a self sign-in's request from a client's.
func isSelf(ar store.AuthRequest) bool { return ar.ClientID == "" }

// errReturnPath refuses a return path that is not a path on this server.
var errReturnPath = errors.New("the return address is not a path on this server")

// maxReturnLength bounds a return path: the account pages' are short.
const maxReturnLength = 2048

// localPath checks that returnTo is a path on this server relative to the
// issuer ("/account", "/account?x=1"): not an absolute or
// scheme-relative URL, which would make the sign-in an open redirector.
func localPath(returnTo string) error {
	u, err := url.Parse(returnTo)
	if err != nil || !strings.HasPrefix(returnTo, "/") || strings.HasPrefix(returnTo, "//") ||
		strings.ContainsAny(returnTo, "\\\r\n") || u.Scheme != "" || u.Host != "" || len(returnTo) > maxReturnLength {
		return errReturnPath
	}
	return nil
}

// startSelfSignIn has the user sign in to this server's own pages: it
// saves a pending request without a client whose RedirectURI is returnTo,
// a path relative to the issuer ("/account"), and takes it as far as it
// goes: the login page, the second factor, or straight back to returnTo
// when the browser's session already meets it. fresh asks for the
// password again whatever the session (prompt=login, OpenID Connect Core
// section 3.1.2.1), as the account page's changes do when the last
// sign-in is too old.
func (s *Server) startSelfSignIn(w http.ResponseWriter, r *http.Request, returnTo string, fresh bool) {
	if err := localPath(returnTo); err != nil {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid sign-in request", err.Error())
		return
	}
	ar, ok := s.holdPending(w, r)
	if !ok {
		return
	}
	ar.RedirectURI = returnTo
	if fresh {
		ar.Prompt = []string{"login"}
	}
	s.startPending(w, r, ar, store.Client{Name: s.theme.Name})
}

// returnToSelf ends a self sign-in: the request is used up and the
// browser goes back to the page that asked for it.
func (s *Server) returnToSelf(w http.ResponseWriter, r *http.Request, ar store.AuthRequest) {
	if err := s.store.DeleteAuthRequest(r.Context(), ar.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.pageFailure(w, r, err)
		return
	}
	s.core.ReleasePending(ar.ID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.Issuer+ar.RedirectURI, http.StatusSeeOther)
}

// resumePath is where a page outside the flow (enrolment) sends the
// browser back to continue a pending request.
func resumePath(requestID string) string {
	return "/authorize/resume?" + url.Values{"request": {requestID}}.Encode()
}

// handleResume continues a pending request this browser started, after a
// detour (the enrolment of a factor): it re-enters proceed, which decides
// afresh what is still missing, and may issue the code. A GET without a
// CSRF token is safe because the request ID is random (no other site can
// know it) and bound to this browser (boundRequest): a link another site
// makes can only name a request that site cannot have, and a stolen ID
// does not resume in another browser.
func (s *Server) handleResume(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("request") || len(q["request"]) != 1 {
		s.errorAt(w, r, http.StatusBadRequest, "Invalid sign-in request", "The address names no sign-in request.")
		return
	}
	ar, c, ok := s.boundRequest(w, r, q.Get("request"), "")
	if !ok {
		return
	}
	s.proceed(w, r, ar, c, s.session(w, r))
}
