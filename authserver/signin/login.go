package signin

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// loginPage is the data of login.html.
type loginPage struct {
	Page
	// ClientName names the application; Request is the pending
	// authorization request's ID and CSRF the form's token, both posted
	// back; Username is prefilled, Error says why the last try failed.
	ClientName, Request, CSRF, Username, Error string
	// Passkey is the passkey sign-in form's ceremony.
	Passkey passkeyForm
	// Connectors are the "Continue with" buttons; PasswordForm shows the
	// password form; Directory, when set, is the one connector whose
	// password form is shown instead of everything else (LDAP).
	Connectors   []connectorButton
	PasswordForm bool
	Directory    *connectorButton
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, status int, msg, username string) {
	p := &loginPage{
		ClientName: clientName(c), Request: ar.ID, CSRF: s.csrfToken(w, r, formLogin, ar.ID), Username: username, Error: msg,
		Passkey: s.loginPasskey(w, r, ar),
	}
	s.loginChoices(p, ar, c)
	p.Base = base(r)
	s.render(w, status, "login.html", "Sign in", p)
}

func clientName(c store.Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// handleLogin checks a username and password posted by the login page.
// Attempts are counted per client address and per account at that address
// before they are evaluated, so concurrent guesses cannot overtake the
// count, and failures elsewhere never lock the account here. An unknown
// username costs the same time as a wrong password.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	// The rate limit comes before anything is read or hashed.
	if !s.signInAllowed(w, r) {
		return
	}
	ar, c, ok := s.pendingRequest(w, r, formLogin)
	if !ok {
		return
	}
	username, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	if r.PostForm.Has("connector") {
		s.directoryLogin(w, r, ar, c, username, password)
		return
	}
	if s.cfg.PasswordDisabled {
		s.renderLogin(w, r, ar, c, http.StatusBadRequest, "Sign-in with a password is turned off here.", "")
		return
	}
	account, address, accounts := s.attemptKeys(r, username, username)
	if !s.tryThrottles(w, r, ar, c, address, accounts, username, func() []any {
		return append(s.typedUsername(s.lookupTyped(r, username), username), "client_id", c.ID)
	}) {
		return
	}
	valid, err := s.checkPassword(r, username, password)
	if err != nil {
		// Not evaluated: neither count keeps the attempt.
		s.cfg.AddressThrottle.Refund(address)
		s.cfg.Throttle.Refund(accounts...)
	}
	if errors.Is(err, errBusy) {
		w.Header().Set("Retry-After", "1")
		s.renderLogin(w, r, ar, c, http.StatusServiceUnavailable, "The server is busy. Try again in a moment.", username)
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	if !valid.ok {
		// The password check found the account, if there is one.
		s.core.Event(r, slog.LevelWarn, audit.LoginFailed, append(s.typedUsername(valid.user, username), "client_id", c.ID)...)
		s.renderLogin(w, r, ar, c, http.StatusOK, wrongPassword, username)
		return
	}
	if valid.user.Disabled {
		// The right password for a disabled account gets the page a wrong
		// one gets, in the same time, so the page tells no one that the
		// account exists or what state it is in; the audit trail does.
		// The attempt stays counted, as a failure's does.
		s.core.Event(r, slog.LevelWarn, audit.LoginFailed, "sub", valid.user.ID, "username", valid.user.Username, "client_id", c.ID, "reason", "disabled")
		s.renderLogin(w, r, ar, c, http.StatusOK, wrongPassword, username)
		return
	}
	// A success clears the account here, but only takes back its own
	// attempt at the address: signing in to an account of one's own must
	// not reset the count of guesses against others.
	s.cfg.Throttle.Succeed(account)
	s.cfg.AddressThrottle.Refund(address)
	u := valid.user
	sess, ok := s.startSession(w, r, u, methodPassword, []string{mfa.AMRPassword})
	if !ok {
		return
	}
	s.core.Event(r, slog.LevelInfo, audit.LoginSucceeded, "sub", u.ID, "client_id", c.ID, "remote", r.RemoteAddr, "method", "password")
	s.proceed(w, r, ar, c, &sess)
}

// Session methods (store.Session.Method) of Portcullis's own sign-ins; a
// federated one is methodConnector and the connector's ID.
const (
	methodPassword  = "password"
	methodPasskey   = "passkey"
	methodConnector = "connector:"
)

// startSession begins the sign-on session of u, signed in now by method
// with the methods amr, in place of the browser's previous one: a new
// session ID at every sign-in defeats session fixation. On a store
// failure it answers and reports false.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u store.User, method string, amr []string) (store.Session, bool) {
	return s.startSessionACR(w, r, u, method, amr, mfa.Level(amr), time.Time{})
}

// startSessionACR is startSession with the session's acr and auth time
// given (zero: now): an upstream's, for a federated sign-in.
func (s *Server) startSessionACR(w http.ResponseWriter, r *http.Request, u store.User, method string, amr []string, acr string, authTime time.Time) (store.Session, bool) {
	ctx := r.Context()
	if old, err := r.Cookie(s.cookies.session); err == nil {
		s.store.DeleteSession(ctx, wire.Digest(old.Value))
	}
	now := s.cfg.Now()
	sid := wire.RandomToken()
	sess := store.Session{IDHash: wire.Digest(sid), SID: wire.RandomToken(), UserID: u.ID, AuthTime: cmp.Or(authTime, now),
		AMR: amr, ACR: acr, Method: method, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		s.pageFailure(w, r, err)
		return store.Session{}, false
	}
	s.cookies.set(w, s.cookies.session, sid, int(s.cfg.SessionTTL.Seconds()))
	return sess, true
}

// attemptKeys are the throttle keys of a password attempt at account key
// (the username typed, or a directory's prefixed one) from r's address.
// A username too long to exist gets no account entry, so that it cannot
// fill the throttle; the address still counts it.
func (s *Server) attemptKeys(r *http.Request, key, username string) (account, address string, accounts []string) {
	account, address = users.LoginKeys(key, s.core.ClientIP(r))
	if len(username) <= maxUsernameLength {
		accounts = []string{account}
	}
	return account, address, accounts
}

// tryThrottles counts a password attempt at address and accounts before
// it is evaluated, so that concurrent guesses cannot overtake the count.
// When either refuses, it records LoginThrottled with event's key-values
// (computed only then) and answers the login page with 429 and
// Retry-After, and reports false.
func (s *Server) tryThrottles(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, address string, accounts []string, username string, event func() []any) bool {
	wait := s.cfg.AddressThrottle.Try(address)
	if wait == 0 {
		if wait = s.cfg.Throttle.Try(accounts...); wait > 0 {
			// Refused unevaluated: the address does not pay for it.
			s.cfg.AddressThrottle.Refund(address)
		}
	}
	if wait == 0 {
		return true
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.core.Event(r, slog.LevelWarn, audit.LoginThrottled, event()...)
	s.renderLogin(w, r, ar, c, http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts. Try again in %d seconds.", secs), username)
	return false
}

// wrongPassword is the login page's message for every refused password
// check: a wrong password, an unknown username, a disabled account.
const wrongPassword = "Wrong username or password."

// maxUsernameLength bounds usernames: longer ones cannot exist, so they are
// refused before any hashing or throttle bookkeeping.
const maxUsernameLength = 256

// errBusy means every password verification slot stayed taken.
var errBusy = errors.New("password verification busy")

type checked struct {
	ok   bool
	user store.User
}

// checkPassword verifies a username and password within a bounded number of
// concurrent argon2id runs. An unknown username costs the same time as a
// wrong password, so answers do not tell who exists.
func (s *Server) checkPassword(r *http.Request, username, password string) (checked, error) {
	select {
	case s.hashSlots <- struct{}{}:
		defer func() { <-s.hashSlots }()
	case <-time.After(2 * time.Second):
		return checked{}, errBusy
	case <-r.Context().Done():
		return checked{}, r.Context().Err()
	}
	if len(username) > maxUsernameLength {
		users.VerifyUnknown(password)
		return checked{}, nil
	}
	u, err := s.store.GetUserByUsername(r.Context(), username)
	if errors.Is(err, store.ErrNotFound) {
		users.VerifyUnknown(password)
		return checked{}, nil
	}
	if err != nil {
		return checked{}, err
	}
	ok, _ := users.VerifyPassword(u.PasswordHash, password)
	return checked{ok: ok, user: u}, nil
}
