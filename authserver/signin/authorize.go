package signin

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/internal/bodylimit"
	"github.com/portcullis/portcullis/internal/ratelimit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// authRequestTTL bounds how long a user may take to sign in.
const authRequestTTL = 10 * time.Minute

// handleAuthorize is the authorization endpoint (RFC 6749 section 3.1,
// OpenID Connect Core section 3.1.2), for GET and POST.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	params, err := authorizeParams(w, r)
	if err != nil {
		s.refuseForm(w, "Invalid sign-in request", err)
		return
	}
	// The limits are checked first, so a caller over them costs no store
	// access, and a pushed request is not consumed for nothing.
	if ok, wait := s.core.Limit(w, r, usage.LimitAuthorize); !ok {
		s.tooMany(w, wait, "Too many sign-in requests",
			"Too many sign-in requests came from your network. Try again in %s.")
		return
	}
	held, ok := s.holdPending(w, r)
	if !ok {
		return
	}
	ar, client, refused := s.core.Authorization(r.Context(), params)
	if refused != nil {
		s.core.ReleasePending(held.ID)
		s.failAuthorization(w, r, refused)
		return
	}
	ar.ID, ar.Pushed, ar.CreatedAt, ar.ExpiresAt = held.ID, false, held.CreatedAt, held.ExpiresAt
	s.startPending(w, r, ar, client)
}

// holdPending counts a new pending request against the client address's
// and the server's limits (Core.HoldPending) and returns its ID and
// times; over a limit it answers 429 and ok is false.
func (s *Server) holdPending(w http.ResponseWriter, r *http.Request) (held store.AuthRequest, ok bool) {
	now := s.cfg.Now()
	held = store.AuthRequest{ID: wire.RandomToken(), CreatedAt: now, ExpiresAt: now.Add(authRequestTTL)}
	if ok, wait := s.core.HoldPending(r, held.ID, held.ExpiresAt); !ok {
		w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
		s.tooMany(w, wait, "Too many sign-ins in progress",
			"Too many sign-ins were started from your network and not finished. Try again in %s.")
		return held, false
	}
	return held, true
}

// startPending binds a held request to this browser, stores it and takes
// it as far as it goes (proceed); a store failure releases its hold.
func (s *Server) startPending(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, client store.Client) {
	ar.BrowserHash = wire.Digest(s.browserID(w, r))
	if err := s.store.SaveAuthRequest(r.Context(), ar); err != nil {
		s.core.ReleasePending(ar.ID)
		s.pageFailure(w, r, err)
		return
	}
	s.proceed(w, r, ar, client, s.session(w, r))
}

// authorizeParams reads the request's parameters: the query of a GET, the
// form body of a POST. A body over the limit is reported by its
// *http.MaxBytesError.
func authorizeParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method == http.MethodGet {
		return url.ParseQuery(r.URL.RawQuery)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return nil, errors.New("a POST must send the parameters as application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, wire.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		if bodylimit.TooLarge(err) {
			return nil, err
		}
		return nil, errors.New("the request body is not valid form encoding")
	}
	return r.PostForm, nil
}

// refuseForm answers a request whose parameters could not be read with the
// error page: 413 for a body over the limit, 400 otherwise, with err's text.
func (s *Server) refuseForm(w http.ResponseWriter, title string, err error) {
	status, msg := formRefusal(err)
	s.renderError(w, status, title, msg)
}

// formRefusal is the status and message of a form that could not be read.
func formRefusal(err error) (int, string) {
	if bodylimit.TooLarge(err) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body exceeds %d bytes.", wire.MaxBodyBytes)
	}
	return http.StatusBadRequest, err.Error()
}

// failAuthorization answers a refused request: by redirect when the
// redirect URI is trusted, by an error page otherwise.
func (s *Server) failAuthorization(w http.ResponseWriter, r *http.Request, ae *Refusal) {
	s.core.Event(r, slog.LevelWarn, audit.AuthorizeRefused, "error", ae.Code,
		"description", ae.Description, "remote", r.RemoteAddr)
	if ae.RedirectURI == "" {
		status := http.StatusBadRequest
		if ae.Status >= 500 {
			status = ae.Status
		}
		s.renderError(w, status, "Sign-in request refused", ae.Description)
		return
	}
	q := url.Values{"error": {ae.Code}, "error_description": {ae.Description}}
	s.redirectToClient(w, r, ae.RedirectURI, ae.State, q)
}

// redirectToClient sends the authorization response (RFC 6749 section
// 4.1.2) with state and iss (RFC 9207). 303 makes the browser use GET even
// after a form post, and is never 307, which would repost the password.
func (s *Server) redirectToClient(w http.ResponseWriter, r *http.Request, redirect, state string, q url.Values) {
	u, _ := url.Parse(redirect) // registered URIs are validated at start
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	if state != "" {
		merged.Set("state", state)
	}
	merged.Set("iss", s.cfg.Issuer)
	u.RawQuery = merged.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// tooMany answers a browser over a limit of its address (Core.Limit,
// Core.HoldPending), whose Retry-After is set, with 429 and a page saying
// so; message has a %s for the wait. It does not redirect to the client
// with temporarily_unavailable: many clients start a new sign-in on an
// error, which here would loop, and the wait only means something on the
// answer the person sees.
func (s *Server) tooMany(w http.ResponseWriter, retryAfter time.Duration, title, message string) {
	wait := fmt.Sprintf("%d seconds", int(retryAfter.Seconds())+1)
	if retryAfter > 90*time.Second {
		wait = fmt.Sprintf("%d minutes", int(retryAfter.Minutes())+1)
	}
	s.renderError(w, http.StatusTooManyRequests, title, fmt.Sprintf(message, wait))
}

// signInAllowed counts a sign-in step against the client address's
// sign-in limit, before anything is read or hashed, and answers 429 when
// it is used up.
func (s *Server) signInAllowed(w http.ResponseWriter, r *http.Request) bool {
	if ok, wait := s.core.Limit(w, r, usage.LimitSignIn); !ok {
		s.tooMany(w, wait, "Too many sign-in attempts",
			"Too many sign-in attempts came from your network. Try again in %s.")
		return false
	}
	return true
}

// pageFailure shows a store failure to the user without its details and
// reports it to the core.
func (s *Server) pageFailure(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	s.core.StoreFailed(err)
	s.errorAt(w, r, http.StatusInternalServerError, "Something went wrong", "The server could not complete the request. Please try again.")
}
