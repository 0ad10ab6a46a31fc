package signin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// codeTTL is the lifetime of an authorization code.
const codeTTL = 60 * time.Second

// session returns the browser's sign-on session, or nil. A cookie that
// names no live session (forged, tampered, ended) is cleared and logged.
func (s *Server) session(w http.ResponseWriter, r *http.Request) *store.Session {
	c, err := r.Cookie(s.cookies.session)
	if err != nil {
		return nil
	}
	ss, err := s.store.GetSession(r.Context(), wire.Digest(c.Value), s.cfg.Now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.core.Event(r, slog.LevelWarn, audit.SessionInvalid, "remote", r.RemoteAddr)
		} else {
			s.log.ErrorContext(r.Context(), "load session", "err", err)
		}
		s.cookies.clear(w, s.cookies.session)
		return nil
	}
	return &ss
}

// proceed takes a stored authorization request as far as it can go: to the
// login page, the consent page, or the client with a code.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, sess *store.Session) {
	ctx := r.Context()
	var user store.User
	if sess != nil {
		u, err := users.Active(ctx, s.store, sess.UserID)
		if err != nil {
			// The user was deleted or disabled since signing in: the
			// session no longer counts, whatever ended it or not.
			sess = nil
		}
		user = u
	}
	if s.needsLogin(ar, sess) || !s.allowsMethod(c, sess) {
		if promptsNone(ar) {
			s.finish(w, r, ar, url.Values{"error": {"login_required"}, "error_description": {"the user must sign in"}})
			return
		}
		s.loginStep(w, r, ar, c)
		return
	}
	if s.factorStep(w, r, ar, c, user, *sess) {
		return
	}
	if isSelf(ar) {
		s.returnToSelf(w, r, ar)
		return
	}
	// The request asks; the user's roles bound what it gets, and the
	// pages show and record only that.
	ar.Scopes = s.core.UserScopes(user, ar.Scopes)
	consented, err := s.store.GetConsent(ctx, user.ID, c.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if !c.SkipConsent && (slices.Contains(ar.Prompt, "consent") || !covers(consented, ar.Scopes)) {
		if promptsNone(ar) {
			s.finish(w, r, ar, url.Values{"error": {"consent_required"}, "error_description": {"the user must consent"}})
			return
		}
		s.renderConsent(w, r, ar, c, user)
		return
	}
	s.issueCode(w, r, ar, c, user, *sess)
}

// needsLogin applies prompt=login and max_age (OpenID Connect Core section
// 3.1.2.1): a sign-in made during this request satisfies both.
func (s *Server) needsLogin(ar store.AuthRequest, sess *store.Session) bool {
	if sess == nil {
		return true
	}
	fresh := !sess.AuthTime.Before(ar.CreatedAt)
	if slices.Contains(ar.Prompt, "login") && !fresh {
		return true
	}
	if ar.MaxAge != nil && !fresh && s.cfg.Now().Sub(sess.AuthTime) > time.Duration(*ar.MaxAge)*time.Second {
		return true
	}
	return false
}

// allowsMethod reports whether client c accepts how sess signed in: a
// session that came through a connector the client does not offer
// (clients[].connectors) must sign in again with one it offers, or the
// restriction would hold only until the first sign-in elsewhere.
func (s *Server) allowsMethod(c store.Client, sess *store.Session) bool {
	id, ok := strings.CutPrefix(sess.Method, methodConnector)
	if !ok {
		return true
	}
	_, offered := s.connector(c, id)
	return offered
}

func covers(granted, wanted []string) bool {
	for _, w := range wanted {
		if !slices.Contains(granted, w) {
			return false
		}
	}
	return true
}

// issueCode completes the request: it consumes it, so a double submit
// cannot yield two codes, records the grant and the code, and redirects.
//
// The code carries the class the sign-in reached (sessionLevel: a
// federated session's upstream class when the upstream speaks ours) as
// the request asked for it (mfa.Satisfies). The flow proves every factor the request and policy
// require before it gets here; should a session reach it short of them
// anyway, no code is issued: the client gets access_denied, the error
// every OAuth client knows, rather than unmet_authentication_requirements,
// which OpenID Connect Core does not define (a separate draft does), and
// the audit trail says why.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, u store.User, sess store.Session) {
	ctx := r.Context()
	level := sessionLevel(sess)
	acr, ok := mfa.Satisfies(level, ar.ACRValues)
	if !ok || !meets(level, s.required(ar, c)) {
		s.core.Event(r, slog.LevelError, audit.AuthorizeRefused, "client_id", c.ID, "sub", u.ID, "error", "access_denied", "description", "sign-in below the required authentication class "+level)
		s.finish(w, r, ar, url.Values{"error": {"access_denied"}, "error_description": {"the sign-in did not meet the authentication requirements"}})
		return
	}
	if err := s.store.DeleteAuthRequest(ctx, ar.ID); errors.Is(err, store.ErrNotFound) {
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in already completed", "This sign-in request was already completed. Return to the application.")
		return
	} else if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.core.ReleasePending(ar.ID)
	now := s.cfg.Now()
	grantID := wire.RandomToken()
	g := store.Grant{ID: grantID, UserID: u.ID, ClientID: c.ID, SessionID: sess.SID,
		Offline: slices.Contains(ar.Scopes, "offline_access"), CreatedAt: now, ExpiresAt: now.Add(s.core.RefreshMaxTTL(c) + codeTTL)}
	if err := s.store.CreateGrant(ctx, g); err != nil {
		s.pageFailure(w, r, err)
		return
	}
	code := wire.RandomToken()
	err := s.store.CreateAuthCode(ctx, store.AuthCode{
		Hash: wire.Digest(code), GrantID: grantID, ClientID: c.ID, RedirectURI: ar.RedirectURI, RedirectURIGiven: ar.RedirectURIGiven,
		CodeChallenge: ar.CodeChallenge, UserID: u.ID, Scopes: ar.Scopes, Resources: ar.Resources, Nonce: ar.Nonce,
		AuthTime: sess.AuthTime, AMR: sess.AMR, ACR: acr, SessionID: sess.SID, DPoPJKT: ar.DPoPJKT, ExpiresAt: now.Add(codeTTL),
	})
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.CodeIssued, "client_id", c.ID, "sub", u.ID)
	s.redirectToClient(w, r, ar.RedirectURI, ar.State, url.Values{"code": {code}})
}

// finish ends a request with an error sent to the client.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, q url.Values) {
	if s.store.DeleteAuthRequest(r.Context(), ar.ID) == nil {
		s.core.ReleasePending(ar.ID)
	}
	s.redirectToClient(w, r, ar.RedirectURI, ar.State, q)
}

// pendingRequest loads the request a login or consent form refers to and
// checks that this browser started it and that the form is genuine.
func (s *Server) pendingRequest(w http.ResponseWriter, r *http.Request, form string) (store.AuthRequest, store.Client, bool) {
	if err := s.core.ParseForm(w, r); err != nil {
		status, msg := formRefusal(err)
		s.errorAt(w, r, status, "Invalid form", msg)
		return store.AuthRequest{}, store.Client{}, false
	}
	return s.boundRequest(w, r, r.PostFormValue("request"), form)
}

// boundRequest loads the pending request id and checks that this browser
// started it (its BrowserHash) and, when form is not empty, that the
// posted form's CSRF token is that form's for the request. A request
// without a client (a self sign-in) gets a client named for the deployment.
func (s *Server) boundRequest(w http.ResponseWriter, r *http.Request, id, form string) (store.AuthRequest, store.Client, bool) {
	ctx := r.Context()
	ar, err := s.store.GetAuthRequest(ctx, id, s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && ar.Pushed) {
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in expired", "This sign-in request has expired or was completed. Return to the application and try again.")
		return store.AuthRequest{}, store.Client{}, false
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return store.AuthRequest{}, store.Client{}, false
	}
	if b, ok := s.cookies.browserCookieValue(r); !ok || wire.Digest(b) != ar.BrowserHash || (form != "" && !s.checkCSRF(r, form, id)) {
		s.core.Event(r, slog.LevelWarn, audit.CSRFFailed, "path", r.URL.Path, "remote", r.RemoteAddr)
		s.errorAt(w, r, http.StatusForbidden, "Request refused", "This form was not sent from the sign-in page in this browser. Return to the application and try again.")
		return store.AuthRequest{}, store.Client{}, false
	}
	if isSelf(ar) {
		return ar, store.Client{Name: s.theme.Name}, true
	}
	c, err := s.core.Client(ctx, ar.ClientID)
	if err != nil {
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in request refused", "The application is no longer registered.")
		return store.AuthRequest{}, store.Client{}, false
	}
	return ar, c, true
}
