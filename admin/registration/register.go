package registration

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/portcullis/portcullis/admin/internal/change"
	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/internal/authscheme"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// spentFor is how long a spent one-time initial access token is
// remembered: as long as the configuration can still list it.
const spentFor = 100 * 365 * 24 * time.Hour

// register registers a client for the holder of an initial access token
// (RFC 7591 section 3): one of the configured one-time tokens, or an
// access token of the management API that carries admin:clients:write,
// Bearer or DPoP-bound, checked by the guard as every route's is. The
// server picks the client_id, the secret of a confidential client and the
// registration access token, each shown only in this answer.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if sum, ok := s.oneTimeToken(r); ok {
		s.registerWith(w, r, sum, "")
		return
	}
	g := s.cfg.Guard
	g.Middleware(g.RequireScopes(registry.ScopeClientsWrite)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cid, _ := change.Actor(r)
		s.registerWith(w, r, nil, cid)
	}))).ServeHTTP(w, r)
}

// registerWith registers the request's client. oneTime is the digest of
// the one-time token it came with, spent once the client is stored: a
// store failure before then leaves the token usable, and of concurrent
// registrations with one token only the first to spend it keeps its
// client. actorID is the acting client of an admin token.
func (s *Server) registerWith(w http.ResponseWriter, r *http.Request, oneTime []byte, actorID string) {
	md, ok := readMetadata(w, r)
	if !ok {
		return
	}
	cl, err := applyMetadata(md.ClientMetadata, registry.Client{})
	if err == nil && oneTime != nil {
		err = s.oneTimeScopes(cl.Scopes)
	}
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	cl.ClientID, _ = authserver.NewSecret()
	sc, secret, err := s.ch.ValidClient(r.Context(), cl)
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	token, hash := authserver.NewSecret()
	sc.RegistrationTokenHash = hash
	info, err := s.ch.CreateClient(r.Context(), sc)
	if err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	if oneTime != nil {
		if err := s.cfg.Store.UseOnce(r.Context(), "registration-initial-token:"+hex.EncodeToString(oneTime), s.cfg.Now().Add(spentFor)); err != nil {
			// Spent meanwhile, or not recorded: the client must not
			// outlive a token that registered another, or none.
			if derr := s.cfg.Store.DeleteClient(context.WithoutCancel(r.Context()), s.ch.Cutoff(info.ClientID, ""), s.cfg.Now(), nil); derr != nil {
				s.cfg.Log.ErrorContext(r.Context(), "registration: remove a client whose one-time token was not spent", "client_id", info.ClientID, "err", derr)
			}
			if errors.Is(err, store.ErrReplay) {
				writeBearerError(w, http.StatusUnauthorized, "invalid_token", "the initial access token is spent", "")
			} else {
				s.failed(w, r, err)
			}
			return
		}
	}
	detail := map[string]any{"change": "client registered", "auth_method": info.TokenEndpointAuthMethod, "initial_access": "one-time token"}
	if actorID != "" {
		detail["initial_access"] = "access token"
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: info.ClientID, Detail: detail})
	rest.WriteJSON(w, http.StatusCreated, s.registration(info, secret, token), "")
}

// oneTimeToken reports whether the request's Bearer token is one of the
// configured one-time initial access tokens, compared in constant time
// with each, and returns its digest.
func (s *Server) oneTimeToken(r *http.Request) ([]byte, bool) {
	token, found := bearer(r)
	if !found || len(s.cfg.InitialAccessTokens) == 0 {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	match := 0
	for _, t := range s.cfg.InitialAccessTokens {
		d := sha256.Sum256([]byte(t))
		match |= subtle.ConstantTimeCompare(d[:], sum[:])
	}
	return sum[:], match == 1
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
	c, err := s.cfg.Store.GetClient(r.Context(), r.PathValue("client_id"))
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

// read answers a client's registration (RFC 7592 section 2.1), with the
// registration access token it was asked with.
func (s *Server) read(w http.ResponseWriter, r *http.Request) {
	c, token, ok := s.registered(w, r)
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, s.registration(registry.ClientFromStore(c, registry.SourceStore), "", token), "")
}

// update replaces a client's metadata (RFC 7592 section 2.2). What
// registration cannot set (consent, rate limits, lifetimes) stays as an
// administrator left it.
func (s *Server) update(w http.ResponseWriter, r *http.Request) {
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
		cl, err := applyMetadata(md.ClientMetadata, registry.ClientFromStore(*cur, registry.SourceStore).Client)
		if err != nil {
			return err
		}
		next, generated, err := s.ch.ReplaceClient(*cur, cl, apis)
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
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: c.ID, Detail: map[string]any{"change": "client registration updated", "actor": "registration access token"}})
	c, err = s.cfg.Store.GetClient(r.Context(), c.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	rest.WriteJSON(w, http.StatusOK, s.registration(registry.ClientFromStore(c, registry.SourceStore), secret, token), "")
}

// delete deletes the client (RFC 7592 section 2.3) and revokes its
// tokens, as the management API's delete does.
func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.registered(w, r)
	if !ok {
		return
	}
	if err := s.ch.RemoveClient(r.Context(), c.ID, nil); err != nil {
		s.writeRegistrationError(w, r, err)
		return
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: c.ID, Detail: map[string]any{"change": "client registration deleted", "actor": "registration access token"}})
	w.WriteHeader(http.StatusNoContent)
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, err := authscheme.Parse(r.Header)
	return token, err == nil && scheme == authscheme.Bearer
}

// oneTimeScopes refuses, for a registration made with a one-time initial
// access token, any scope beyond OpenID Connect's and Config.Scopes:
// whoever holds such a token was trusted to register a client, not to
// give it machine access to every API.
func (s *Server) oneTimeScopes(scopes []string) error {
	var fields []rest.FieldProblem
	for _, sc := range scopes {
		if !slices.Contains(authserver.OIDCScopes, sc) && !slices.Contains(s.cfg.Scopes, sc) {
			fields = append(fields, rest.FieldProblem{Field: "scope",
				Detail: sc + " cannot be registered with a one-time initial access token: an administrator grants it"})
		}
	}
	if fields == nil {
		return nil
	}
	return &rest.Error{Status: http.StatusBadRequest, Slug: rest.ProblemInvalid, Detail: "invalid client metadata", Fields: fields}
}
