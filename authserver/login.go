package authserver

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

type loginPage struct {
	ClientName, RequestID, CSRF, Username, Error string
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, status int, msg, username string) {
	s.render(w, status, "login.html", loginPage{
		ClientName: clientName(c), RequestID: ar.ID, CSRF: csrfToken(s.browserID(w, r), ar.ID), Username: username, Error: msg,
	})
}

func clientName(c store.Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// handleLogin checks a username and password posted by the login page.
// Failures are slowed down per account and per client address, and an
// unknown username costs the same time as a wrong password.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	ar, c, ok := s.pendingRequest(w, r)
	if !ok {
		return
	}
	username, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password")
	keys := []string{"user:" + strings.ToLower(username), "ip:" + clientIP(r)}
	if wait := s.cfg.Throttle.Wait(keys...); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.event(r, slog.LevelWarn, audit.LoginThrottled, "username", clip(username), "remote", r.RemoteAddr)
		s.renderLogin(w, r, ar, c, http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts. Try again in %d seconds.", secs), username)
		return
	}
	ctx := r.Context()
	u, err := s.store.GetUserByUsername(ctx, username)
	valid := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		users.VerifyUnknown(password)
	case err != nil:
		s.pageFailure(w, r, err)
		return
	default:
		valid, _ = users.VerifyPassword(u.PasswordHash, password)
	}
	if !valid {
		s.cfg.Throttle.Fail(keys...)
		s.event(r, slog.LevelWarn, audit.LoginFailed, "username", clip(username), "client_id", c.ID, "remote", r.RemoteAddr)
		s.renderLogin(w, r, ar, c, http.StatusOK, "Wrong username or password.", username)
		return
	}
	s.cfg.Throttle.Succeed(keys[0])
	// A new session ID at every sign-in defeats session fixation.
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.store.DeleteSession(ctx, digest(old.Value))
	}
	now := s.cfg.Now()
	sid := randomToken()
	sess := store.Session{IDHash: digest(sid), UserID: u.ID, AuthTime: now, AMR: []string{"pwd"}, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.cookies.set(w, sessionCookie, sid, int(s.cfg.SessionTTL.Seconds()))
	s.event(r, slog.LevelInfo, audit.LoginSucceeded, "sub", u.ID, "client_id", c.ID, "remote", r.RemoteAddr)
	s.proceed(w, r, ar, c, &sess)
}

// clientIP is the address of the peer. Forwarded headers are not trusted:
// anyone can send them.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
