package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// createdClient is the answer to a create: the client as read, and its
// secret this once.
type createdClient struct {
	registry.ClientInfo
	ClientSecret string `json:"client_secret,omitempty"`
}

// createClient registers a client: validated by the rules of the file,
// with its secret generated unless given, and answered once with it.
func (s *Server) createClient(w http.ResponseWriter, r *http.Request) {
	var cl registry.Client
	if !readJSON(w, r, &cl, false) {
		return
	}
	if s.refuseFixedClient(w, cl.ClientID) {
		return
	}
	sc, secret, err := s.validClient(r.Context(), cl)
	if err == nil {
		err = delegable(r, nil, sc.Scopes)
	}
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	info, err := s.storeClient(r.Context(), sc)
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: info.ClientID,
		Detail: map[string]any{"change": "client created", "auth_method": info.TokenEndpointAuthMethod}})
	w.Header().Set("Location", PathPrefix+"clients/"+url.PathEscape(info.ClientID))
	writeJSON(w, http.StatusCreated, createdClient{ClientInfo: info, ClientSecret: secret}, etagOf(info))
}

// validClient validates cl by the rules of the file, generating its
// secret when its auth method needs one and none is given, and returns it
// as the store keeps it with the secret in the clear. A *problemError
// says what is wrong with it.
func (s *Server) validClient(ctx context.Context, cl registry.Client) (store.Client, string, error) {
	if store.UsesSecret(cl.TokenEndpointAuthMethod) && cl.ClientSecret == "" {
		cl.ClientSecret, _ = authserver.NewSecret()
	}
	apis, err := s.cfg.Store.ListAPIs(ctx)
	if err != nil {
		return store.Client{}, "", fmt.Errorf("list APIs: %w", err)
	}
	sc, err := s.cfg.Rules.NewClient(cl, apis)
	if err != nil {
		return store.Client{}, "", invalid(err)
	}
	return sc, cl.ClientSecret, nil
}

// storeClient creates sc and returns it as read back, so that its ETag is
// the one later reads show; a *problemError (409) if its ID is taken.
func (s *Server) storeClient(ctx context.Context, sc store.Client) (registry.ClientInfo, error) {
	sc.CreatedAt = s.cfg.Now().UTC()
	if err := s.cfg.Store.CreateClient(ctx, sc); errors.Is(err, store.ErrAlreadyExists) {
		return registry.ClientInfo{}, &problemError{status: http.StatusConflict, slug: problemConflict,
			detail: "a client with this client_id exists", fields: []FieldProblem{{Field: "client_id", Detail: "is taken"}}}
	} else if err != nil {
		return registry.ClientInfo{}, fmt.Errorf("create client: %w", err)
	}
	s.cfg.Changed(ctx)
	if stored, err := s.cfg.Store.GetClient(ctx, sc.ID); err == nil {
		sc = stored
	}
	return registry.ClientFromStore(sc, registry.SourceStore), nil
}

// patchClient applies a merge patch (RFC 7396) to a stored client's
// metadata, revalidated as a new client would be. The If-Match check runs
// inside the store's transaction, so no concurrent change slips between
// it and the write.
func (s *Server) patchClient(w http.ResponseWriter, r *http.Request) {
	id := pathID(r, "client_id")
	if s.refuseFixedClient(w, id) {
		return
	}
	patch, ok := readBody(w, r, true)
	if !ok {
		return
	}
	if err := checkClientPatch(patch, id); err != nil {
		err.write(w)
		return
	}
	apis, err := s.cfg.Store.ListAPIs(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	var secret string
	err = s.cfg.Store.UpdateClient(r.Context(), id, func(c *store.Client) error {
		if !matches(r, etagOf(storedClientInfo(*c))) {
			return errStale
		}
		next, generated, err := s.patchedClient(*c, patch, apis)
		if err == nil {
			err = delegable(r, c.Scopes, next.Scopes)
		}
		if err != nil {
			return err
		}
		*c, secret = next, generated
		return nil
	})
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.cfg.Changed(r.Context())
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: id, Detail: map[string]any{"change": "client updated"}})
	c, ok := s.lookupClient(w, r, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, createdClient{ClientInfo: c, ClientSecret: secret}, etagOf(c))
}

// storedClientInfo is a stored client as the API shows it, whose ETag an
// If-Match names.
func storedClientInfo(c store.Client) registry.ClientInfo {
	return registry.ClientFromStore(c, registry.SourceStore)
}

// checkClientPatch refuses a patch that is not a JSON object or that
// touches client_id (other than to repeat it) or client_secret.
func checkClientPatch(patch []byte, id string) *problemError {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		return malformed(errors.New("a merge patch must be a JSON object"))
	}
	var fields []FieldProblem
	if v, ok := p["client_id"]; ok && !bytes.Equal(bytes.TrimSpace(v), mustJSON(id)) {
		fields = append(fields, FieldProblem{Field: "client_id", Detail: "cannot change: create a client with the new client_id instead"})
	}
	if _, ok := p["client_secret"]; ok {
		fields = append(fields, FieldProblem{Field: "client_secret", Detail: "cannot be patched: rotate it with POST " + PathPrefix + "clients/{client_id}/secret"})
	}
	if fields != nil {
		return &problemError{status: http.StatusBadRequest, slug: problemInvalid, detail: "the patch changes what cannot change", fields: fields}
	}
	return nil
}

// mustJSON is v's JSON encoding.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// patchedClient is c with patch applied, by replacedClient.
func (s *Server) patchedClient(c store.Client, patch []byte, apis []store.API) (store.Client, string, error) {
	doc, _ := json.Marshal(registry.ClientFromStore(c, registry.SourceStore).Client)
	merged, err := mergePatch(doc, patch)
	if err != nil {
		return c, "", malformed(err)
	}
	var cl registry.Client
	if err := decodeStrict(merged, &cl); err != nil {
		return c, "", malformed(err)
	}
	return s.replacedClient(c, cl, apis)
}

// replacedClient is c with the metadata cl, validated as a new client
// would be, by the rule the CLI's clients update shares
// (config.Config.ReplaceClient): the secret digests stay, and a client
// moved to a secret auth method without one gets one, returned to be
// shown once.
func (s *Server) replacedClient(c store.Client, cl registry.Client, apis []store.API) (store.Client, string, error) {
	next, generated, err := s.cfg.Rules.ReplaceClient(c, cl, apis, s.cfg.Now())
	if err != nil {
		return c, "", invalid(err)
	}
	return next, generated, nil
}

// deleteClient removes a stored client and, in the same transaction,
// revokes every token issued to it, as `portcullis clients delete` does.
// It returns once the cutoff's second has passed, so that a client
// created again with the same ID right after gets working tokens. The
// If-Match test runs inside the deletion's transaction.
func (s *Server) deleteClient(w http.ResponseWriter, r *http.Request) {
	id := pathID(r, "client_id")
	if s.refuseFixedClient(w, id) {
		return
	}
	if err := s.removeClient(r, id, ifMatch(r, storedClientInfo)); err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: id, Detail: map[string]any{"change": "client deleted"}})
	w.WriteHeader(http.StatusNoContent)
}

// removeClient deletes the stored client id with a cutoff that revokes
// its tokens, and waits for the cutoff's second to pass. check (nil for
// none) runs on the client inside the deletion's transaction; its error
// aborts it.
func (s *Server) removeClient(r *http.Request, id string, check func(store.Client) error) error {
	cut := s.cutoff(id, "")
	if err := s.cfg.Store.DeleteClient(r.Context(), cut, s.cfg.Now(), check); err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	s.cfg.Changed(r.Context())
	cut.Await(r.Context()) // the deletion has committed: a client gone early is still gone
	return nil
}
