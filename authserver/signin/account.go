package signin

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// sudoWindow is how recently a sign-in must have proved a password or a
// factor for the account page to make a change: an unattended browser
// with a live session cannot add a factor of the finder's or remove the
// owner's.
const sudoWindow = 10 * time.Minute

// The account page's forms, for their CSRF tokens: a token of one form is
// refused by another.
const (
	formRename       = "account-rename"
	formRemove       = "account-remove"
	formRecovery     = "account-recovery"
	formEndSession   = "account-end-session"
	formEnrolTOTP    = "account-enrol-totp"
	formEnrolPasskey = "account-enrol-passkey"
)

// accountRoutes registers the self-service account pages: the overview,
// enrolment of a factor, and the changes the overview's forms post.
func (s *Server) accountRoutes(route func(path string, h http.HandlerFunc, methods ...string)) {
	route("/account", s.handleAccount, "GET")
	route("/account/enrol", s.handleEnrol, "GET")
	route("/account/enrol/totp", s.handleEnrolTOTP, "POST")
	route("/account/enrol/passkey", s.handleEnrolPasskey, "POST")
	route("/account/factors/rename", s.handleRenameFactor, "POST")
	route("/account/factors/remove", s.handleRemoveFactor, "POST")
	route("/account/recovery", s.handleRecoveryCodes, "POST")
	route("/account/sessions/end", s.handleEndSession, "POST")
}

// accountPage is the data of account.html.
type accountPage struct {
	Page
	Username string
	Factors  []factorLine
	// Recovery is how many unused recovery codes the user has.
	Recovery int
	Sessions []sessionLine
	// TOTP and Passkey say which kinds may be enrolled (mfa.allowed).
	TOTP, Passkey bool
	// Notice says what the last change did.
	Notice string
	CSRF   accountTokens
}

// accountTokens are the CSRF tokens of the account page's forms.
type accountTokens struct{ Rename, Remove, Recovery, EndSession string }

type factorLine struct {
	ID, Kind, Name, Created, LastUsed string
}

type sessionLine struct {
	SID, When, How, Apps string
	// Current is the session this page was loaded with.
	Current bool
}

// notices are what ?done= on the account page says, after a change
// redirected there; anything else says nothing.
var notices = map[string]string{
	"added":   "The factor was added.",
	"renamed": "The factor was renamed.",
	"removed": "The factor was removed. Sessions it proved stay signed in: end them below if the device is lost.",
	"ended":   "The session was ended; the applications signed in with it must sign in again.",
}

// handleAccount shows the signed-in user their factors, recovery codes
// and sessions, with the forms that change them. Without a session it
// signs the user in first and comes back.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := s.accountSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	factors, err := s.store.ListFactors(ctx, u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	left, err := s.store.CountRecoveryCodes(ctx, u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	live, err := users.Sessions(ctx, s.store, u.ID, s.cfg.Now())
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	p := &accountPage{
		Username: u.Username, Recovery: left, Notice: notices[r.URL.Query().Get("done")],
		TOTP: s.allowed(store.FactorTOTP), Passkey: s.allowed(store.FactorPasskey),
		CSRF: accountTokens{
			Rename: s.sessionCSRF(w, r, formRename, sess), Remove: s.sessionCSRF(w, r, formRemove, sess),
			Recovery: s.sessionCSRF(w, r, formRecovery, sess), EndSession: s.sessionCSRF(w, r, formEndSession, sess),
		},
	}
	p.Base = base(r)
	for _, f := range factors {
		p.Factors = append(p.Factors, factorLine{ID: f.ID, Kind: kindName(f.Kind), Name: f.Name, Created: when(f.CreatedAt), LastUsed: when(f.LastUsedAt)})
	}
	for _, l := range live {
		p.Sessions = append(p.Sessions, sessionLine{SID: l.SID, When: when(l.CreatedAt), How: how(l), Apps: strings.Join(l.ClientIDs, ", "), Current: l.SID == sess.SID})
	}
	s.render(w, http.StatusOK, "account.html", "Your account", p)
}

// kindName is how the pages name a factor kind.
func kindName(kind string) string {
	switch kind {
	case store.FactorPasskey:
		return "Passkey"
	case store.FactorTOTP:
		return "Authenticator app"
	}
	return kind
}

// when formats a time for the pages; zero is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// how says how a session signed in: its methods (RFC 8176) and class.
func how(l registry.Session) string {
	return strings.Join(l.AMR, " + ") + " (" + mfa.Level(l.AMR) + ")"
}

// allowed reports whether users may enrol and use factors of kind
// (mfa.allowed; empty allows every kind), whose machinery the server has.
func (s *Server) allowed(kind string) bool {
	m := s.cfg.MFA
	ready := (kind == store.FactorTOTP && m.TOTP != nil) || (kind == store.FactorPasskey && m.WebAuthn != nil)
	return ready && m.Sealer != nil && (len(m.Allowed) == 0 || slices.Contains(m.Allowed, kind))
}

// accountSession returns the browser's session and its active user. When
// there is none it starts the self sign-in, which returns to the account
// page, and reports false.
func (s *Server) accountSession(w http.ResponseWriter, r *http.Request) (*store.Session, store.User, bool) {
	sess := s.session(w, r)
	if sess != nil {
		u, err := users.Active(r.Context(), s.store, sess.UserID)
		if err == nil {
			return s.factorProved(w, r, sess, u)
		}
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, users.ErrDisabled) {
			s.pageFailure(w, r, err)
			return nil, store.User{}, false
		}
	}
	s.accountSignIn(w, r, false)
	return nil, store.User{}, false
}

// factorProved passes a session on to the account pages unless its user
// has a factor it has not proved: a session is made when the password is
// checked, before the factor page, and were it enough here a stolen
// password would enrol a factor of its own and pass every later check.
// Every factor counts, of whatever kind: the pages show and change them
// all. Such a session proves a factor through the self sign-in first,
// which then returns to the page asked for (a GET) or the account page;
// a user whose factors are all of kinds the policy no longer allows
// cannot prove one here, and is refused.
func (s *Server) factorProved(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User) (*store.Session, store.User, bool) {
	if mfa.Level(sess.AMR) != mfa.ACRSingleFactor {
		return sess, u, true
	}
	factors, err := s.store.ListFactors(r.Context(), u.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return nil, store.User{}, false
	}
	if len(factors) == 0 {
		return sess, u, true
	}
	if !slices.ContainsFunc(factors, func(f store.Factor) bool { return s.allowed(f.Kind) }) {
		s.errorAt(w, r, http.StatusForbidden, "Factor needed",
			"Your account's factors cannot be used on this server any more, so your account cannot be changed here. Ask an administrator to reset them.")
		return nil, store.User{}, false
	}
	returnTo := "/account"
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/account") {
		returnTo = r.URL.RequestURI()
	}
	s.startSelfSignIn(w, r, returnTo, false)
	return nil, store.User{}, false
}

// accountSignIn signs the user in through the sign-in pages and returns
// to the account page; fresh asks for the password (or a factor) even
// with a live session (prompt=login), for a change outside the sudo
// window.
func (s *Server) accountSignIn(w http.ResponseWriter, r *http.Request, fresh bool) {
	s.startSelfSignIn(w, r, "/account", fresh)
}

// accountForm reads a form the account pages posted and checks it: a
// live session, the form's CSRF token bound to it, and a sign-in within
// sudoWindow. Otherwise it answers and reports false: a stale sign-in is
// sent to sign in afresh, then back to the account page.
func (s *Server) accountForm(w http.ResponseWriter, r *http.Request, form string) (*store.Session, store.User, bool) {
	if err := s.core.ParseForm(w, r); err != nil {
		s.accountRefuse(w, r, "Invalid form", err)
		return nil, store.User{}, false
	}
	sess, u, ok := s.accountSession(w, r)
	if !ok {
		return nil, store.User{}, false
	}
	if !s.checkCSRF(r, form, sessionBinding(sess)) {
		s.core.Event(r, slog.LevelWarn, audit.CSRFFailed, "sub", u.ID, "path", r.URL.Path, "remote", r.RemoteAddr)
		s.errorAt(w, r, http.StatusForbidden, "Request refused", "This form was not sent from your account page in this browser. Open the account page and try again.")
		return nil, store.User{}, false
	}
	if !s.sudo(sess) {
		s.accountSignIn(w, r, true)
		return nil, store.User{}, false
	}
	return sess, u, true
}

// sudo reports whether the session proved a password or factor recently
// enough to make changes.
func (s *Server) sudo(sess *store.Session) bool {
	return s.cfg.Now().Sub(sess.AuthTime) <= sudoWindow
}

// sessionCSRF is the CSRF token of an account form: bound, as the
// sign-in forms' are to their pending request, to the session's SID, so
// a token dies with its session.
func (s *Server) sessionCSRF(w http.ResponseWriter, r *http.Request, form string, sess *store.Session) string {
	return s.csrfToken(w, r, form, sessionBinding(sess))
}

// sessionBinding is what a session-bound CSRF token is bound to. The
// prefix keeps it apart from a pending request's ID.
func sessionBinding(sess *store.Session) string { return "session " + sess.SID }

// base is the relative path from the page r asks for back to the
// issuer's root, which the layout puts before "static/..." and the forms
// before their actions: "" for /account, "../" for /account/enrol.
func base(r *http.Request) string {
	return strings.Repeat("../", max(strings.Count(r.URL.Path, "/")-1, 0))
}

// errorAt shows the error page in answer to r, whose path may be deeper
// than the issuer's root (the account pages'): the page's links are
// relative to it.
func (s *Server) errorAt(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	p := &errorPage{Message: message}
	p.Base = base(r)
	s.render(w, status, "error.html", title, p)
}

// accountRefuse answers a form that could not be read: 413 for a body
// over the limit, 400 otherwise.
func (s *Server) accountRefuse(w http.ResponseWriter, r *http.Request, title string, err error) {
	status, msg := formRefusal(err)
	s.errorAt(w, r, status, title, msg)
}

// accountDone returns to the account page after a change, saying what it
// did.
func (s *Server) accountDone(w http.ResponseWriter, r *http.Request, done string) {
	http.Redirect(w, r, s.cfg.Issuer+"/account?done="+done, http.StatusSeeOther)
}
