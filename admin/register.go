package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// RegisterPath is the dynamic client registration endpoint (RFC 7591);
// each client's configuration endpoint (RFC 7592) is under it.
const RegisterPath = "/register"

// spentFor is how long a spent one-time initial access token is
// remembered: as long as the configuration can still list it.
const spentFor = 100 * 365 * 24 * time.Hour

// registerRoutes registers /register when registration is enabled. Its
// requests carry their own tokens (initial access tokens, registration
// access tokens) and answer OAuth errors, not problems.
func (s *Server) registerRoutes() {
	if !s.cfg.Registration {
		return
	}
	s.mux.HandleFunc("POST "+RegisterPath, s.limitRegistration(true, s.register))
	s.mux.HandleFunc("GET "+RegisterPath+"/{client_id}", s.limitRegistration(false, s.readRegistration))
	s.mux.HandleFunc("PUT "+RegisterPath+"/{client_id}", s.limitRegistration(false, s.updateRegistration))
	s.mux.HandleFunc("DELETE "+RegisterPath+"/{client_id}", s.limitRegistration(false, s.deleteRegistration))
}

// register registers a client for the holder of an initial access token
// (RFC 7591 section 3): the server picks the client_id, the secret of a
// confidential client and the registration access token, each shown only
// in this answer.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	spend, actor, ok := s.initialAccess(w, r)
	if !ok {
		return
	}
	md, ok := readMetadata(w, r)
	if !ok {
		return
	}
	cl, err := md.applyTo(registry.Client{})
	if err == nil && spend != nil {
		err = s.oneTimeScopes(cl.Scopes)
	}
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	cl.ClientID, _ = authserver.NewSecret()
	sc, secret, err := s.validClient(r.Context(), cl)
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	if spend != nil {
		if err := spend(r.Context()); errors.Is(err, store.ErrReplay) {
			writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the initial access token is spent", "")
			return
		} else if err != nil {
			s.failed(w, r, err)
			return
		}
	}
	token, hash := authserver.NewSecret()
	sc.RegistrationTokenHash = hash
	info, err := s.storeClient(r.Context(), sc)
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	detail := map[string]any{"change": "client registered", "auth_method": info.TokenEndpointAuthMethod, "initial_access": "one-time token"}
	if actor != "" {
		detail["initial_access"], detail["actor_client_id"] = "access token", actor
	}
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: info.ClientID, Detail: detail})
	writeJSON(w, http.StatusCreated, s.registration(info, secret, token), "")
}

// initialAccess checks the initial access token: one of the configured
// one-time tokens, whose spend func the caller runs once the request is
// valid, or an access token of the management API that carries
// admin:clients:write (spend is then nil, and actor its client). On
// failure it has answered as RFC 6750 says.
func (s *Server) initialAccess(w http.ResponseWriter, r *http.Request) (spend func(context.Context) error, actor string, ok bool) {
	token, found := bearer(r)
	if !found {
		writeBearerError(w, http.StatusUnauthorized, "", "", "")
		return nil, "", false
	}
	sum := sha256.Sum256([]byte(token))
	match := 0
	for _, t := range s.cfg.InitialAccessTokens {
		d := sha256.Sum256([]byte(t))
		match |= subtle.ConstantTimeCompare(d[:], sum[:])
	}
	if match == 1 {
		return func(ctx context.Context) error {
			return s.cfg.Store.UseOnce(ctx, "registration-initial-token:"+hex.EncodeToString(sum[:]), s.cfg.Now().Add(spentFor))
		}, "", true
	}
	c, err := s.cfg.Guard.Verify(r.Context(), token)
	if err != nil {
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the initial access token is not valid", "")
		return nil, "", false
	}
	if !c.HasScope(ScopeClientsWrite) {
		writeBearerError(w, http.StatusForbidden, "insufficient_scope", "registering a client needs "+ScopeClientsWrite, ScopeClientsWrite)
		return nil, "", false
	}
	return nil, c.ClientID(), true
}

// registered finds the client of a configuration endpoint request and
// checks its registration access token (RFC 7592 section 3) in constant
// time. An unknown client and a wrong token answer alike, 401, so the
// endpoint tells nobody which clients exist.
func (s *Server) registered(w http.ResponseWriter, r *http.Request) (store.Client, string, bool) {
	token, found := bearer(r)
	if !found {
		writeBearerError(w, http.StatusUnauthorized, "", "", "")
		return store.Client{}, "", false
	}
	c, err := s.cfg.Store.GetClient(r.Context(), pathID(r, "client_id"))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failed(w, r, err)
		return store.Client{}, "", false
	}
	sum := sha256.Sum256([]byte(token))
	if err != nil || len(c.RegistrationTokenHash) != len(sum) || subtle.ConstantTimeCompare(c.RegistrationTokenHash, sum[:]) != 1 {
		writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the registration access token is not valid for this client", "")
		return store.Client{}, "", false
	}
	return c, token, true
}

// readRegistration answers a client's registration (RFC 7592 section
// 2.1), with the registration access token it was asked with.
func (s *Server) readRegistration(w http.ResponseWriter, r *http.Request) {
	c, token, ok := s.registered(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.registration(registry.ClientFromStore(c, registry.SourceStore), "", token), "")
}

// updateRegistration replaces a client's metadata (RFC 7592 section 2.2).
// What registration cannot set (consent, rate limits, lifetimes) stays as
// an administrator left it.
func (s *Server) updateRegistration(w http.ResponseWriter, r *http.Request) {
	c, token, ok := s.registered(w, r)
	if !ok {
		return
	}
	md, ok := readMetadata(w, r)
	if !ok {
		return
	}
	if md.ClientID != c.ID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_metadata", "client_id must be the client's")
		return
	}
	if md.ClientSecret != "" && (len(c.SecretHash) == 0 || subtle.ConstantTimeCompare(authserver.HashSecret(md.ClientSecret), c.SecretHash) != 1) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_metadata", "client_secret must be the client's current secret")
		return
	}
	apis, err := s.cfg.Store.ListAPIs(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	var secret string
	err = s.cfg.Store.UpdateClient(r.Context(), c.ID, func(cur *store.Client) error {
		cl, err := md.applyTo(registry.ClientFromStore(*cur, registry.SourceStore).Client)
		if err != nil {
			return err
		}
		next, generated, err := s.replacedClient(*cur, cl, apis)
		if err != nil {
			return err
		}
		*cur, secret = next, generated
		return nil
	})
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	s.cfg.Changed(r.Context())
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: c.ID, Detail: map[string]any{"change": "client registration updated", "actor": "registration access token"}})
	c, err = s.cfg.Store.GetClient(r.Context(), c.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.registration(registry.ClientFromStore(c, registry.SourceStore), secret, token), "")
}

// deleteRegistration deletes the client (RFC 7592 section 2.3) and
// revokes its tokens, as the management API's delete does.
func (s *Server) deleteRegistration(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.registered(w, r)
	if !ok {
		return
	}
	if err := s.removeClient(r, c.ID); err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: c.ID, Detail: map[string]any{"change": "client registration deleted", "actor": "registration access token"}})
	w.WriteHeader(http.StatusNoContent)
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// oneTimeScopes refuses, for a registration made with a one-time initial
// access token, any scope beyond OpenID Connect's and RegistrationScopes:
// whoever holds such a token was trusted to register a client, not to
// give it machine access to every API.
func (s *Server) oneTimeScopes(scopes []string) error {
	var fields []FieldProblem
	for _, sc := range scopes {
		if !slices.Contains(authserver.OIDCScopes, sc) && !slices.Contains(s.cfg.RegistrationScopes, sc) {
			fields = append(fields, FieldProblem{Field: "scope",
				Detail: sc + " cannot be registered with a one-time initial access token: an administrator grants it"})
		}
	}
	if fields == nil {
		return nil
	}
	return &problemError{status: http.StatusBadRequest, slug: problemInvalid, detail: "invalid client metadata", fields: fields}
}
