package authserver

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
)

// authenticateClient authenticates the client of a token, introspection or
// revocation request by the one method it used (RFC 6749 section 2.3):
// HTTP Basic, client_secret in the body, or a private_key_jwt assertion
// (RFC 7523 section 2.2). A client may only use the method it registered.
// A request with no credentials yields the client named by client_id only if
// it is a public client. A suspended client is refused once authenticated.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (store.Client, *Error) {
	c, e := s.authenticate(r, form)
	if e == nil {
		e = s.refuseSuspended(r, c)
	}
	if e != nil {
		return store.Client{}, e
	}
	return c, nil
}

// authenticate is authenticateClient before the suspension check.
func (s *Server) authenticate(r *http.Request, form url.Values) (store.Client, *Error) {
	authz := r.Header.Get("Authorization")
	_, postSecret := form["client_secret"]
	_, assertion := form["client_assertion"]
	methods := 0
	for _, used := range []bool{authz != "", postSecret, assertion} {
		if used {
			methods++
		}
	}
	if methods > 1 {
		return store.Client{}, errInvalidRequest("use exactly one client authentication method (RFC 6749 section 2.3)")
	}
	formID := form.Get("client_id")
	switch {
	case authz != "":
		id, secret, err := basicCredentials(authz)
		if err != nil {
			return store.Client{}, s.authFailed(r, "", err.Error(), true, true)
		}
		if formID != "" && formID != id {
			return store.Client{}, errInvalidRequest("client_id does not match the authenticated client")
		}
		return s.checkSecret(r, id, secret, store.AuthSecretBasic, true)
	case postSecret:
		if formID == "" {
			return store.Client{}, errInvalidRequest("client_secret requires client_id")
		}
		return s.checkSecret(r, formID, form.Get("client_secret"), store.AuthSecretPost, false)
	case assertion:
		return s.authenticateAssertion(r, form)
	case formID == "":
		return store.Client{}, s.authFailed(r, "", "client authentication is required", true, true)
	}
	c, err := s.client(r.Context(), formID)
	if errors.Is(err, errUnknownClient) {
		return store.Client{}, s.authFailed(r, formID, "unknown client", false, false)
	}
	if err != nil {
		return store.Client{}, s.internal(r, err)
	}
	if c.AuthMethod != store.AuthNone {
		return store.Client{}, s.authFailed(r, formID, "client authentication is required for this client ("+c.AuthMethod+")", true, false)
	}
	return c, nil
}

// basicCredentials decodes HTTP Basic credentials, whose parts RFC 6749
// section 2.3.1 form-encodes before base64.
func basicCredentials(authz string) (id, secret string, err error) {
	rawID, rawSecret, ok := parseBasic(authz)
	if !ok {
		return "", "", errors.New("the Authorization header is not valid HTTP Basic credentials")
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", errors.New("the Basic user name is not form-encoded")
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", errors.New("the Basic password is not form-encoded")
	}
	if id == "" {
		return "", "", errors.New("the Basic user name is empty")
	}
	return id, secret, nil
}

func (s *Server) checkSecret(r *http.Request, id, secret, method string, basic bool) (store.Client, *Error) {
	c, err := s.client(r.Context(), id)
	if errors.Is(err, errUnknownClient) {
		return store.Client{}, s.authFailed(r, id, "unknown client", false, basic)
	}
	if err != nil {
		return store.Client{}, s.internal(r, err)
	}
	if c.AuthMethod != method {
		return store.Client{}, s.authFailed(r, id, "the client is registered for "+c.AuthMethod+", not "+method, true, basic)
	}
	if !secretMatches(c, secret, s.cfg.Now()) {
		return store.Client{}, s.authFailed(r, id, "wrong client secret", false, basic)
	}
	return c, nil
}

// authFailed logs a failed client authentication as a security event and
// builds the error. The reason is told to the client only when disclose is
// set, for mistakes a legitimate client must see to fix its setup; an
// unknown client and a wrong secret read the same from outside.
func (s *Server) authFailed(r *http.Request, clientID, reason string, disclose, basic bool) *Error {
	s.event(r, slog.LevelWarn, audit.ClientAuthFailed,
		"client_id", wire.Clip(clientID), "reason", reason, "path", r.URL.Path, "remote", r.RemoteAddr)
	desc := "client authentication failed"
	if disclose {
		desc = reason
	}
	return errInvalidClient(desc, basic)
}

// internal logs an unexpected failure (the store is down) and returns the
// error the client sees; its details stay in the log. A write fault counts
// against readiness, and a lock timeout asks the client to retry.
func (s *Server) internal(r *http.Request, err error) *Error {
	s.log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	s.writes.observe(err)
	if f, ok := errors.AsType[*store.WriteFault](err); ok && f.Cause == store.CauseLockTimeout {
		return errBusy()
	}
	return errServer()
}

// parseBasic decodes the user name and password of HTTP Basic credentials
// (RFC 7617), as net/http's Request.BasicAuth does, without the request
// that method needs.
func parseBasic(authz string) (user, password string, ok bool) {
	const prefix = "Basic "
	if len(authz) < len(prefix) || !strings.EqualFold(authz[:len(prefix)], prefix) {
		return "", "", false
	}
	decoded, err := base64.StdEncoding.DecodeString(authz[len(prefix):])
	if err != nil {
		return "", "", false
	}
	user, password, ok = strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", false
	}
	return user, password, true
}
