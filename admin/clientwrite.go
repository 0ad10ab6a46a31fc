package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/admin/internal/delegate"
	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
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
	if !rest.ReadJSON(w, r, &cl, false) {
		return
	}
	if s.refuseFixedClient(w, cl.ClientID) {
		return
	}
	sc, secret, err := s.ch.ValidClient(r.Context(), cl)
	if err == nil {
		err = delegate.Scopes(r, nil, sc.Scopes)
	}
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	info, err := s.ch.CreateClient(r.Context(), sc)
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: info.ClientID,
		Detail: map[string]any{"change": "client created", "auth_method": info.TokenEndpointAuthMethod}})
	w.Header().Set("Location", PathPrefix+"clients/"+url.PathEscape(info.ClientID))
	rest.WriteJSON(w, http.StatusCreated, createdClient{ClientInfo: info, ClientSecret: secret}, rest.ETag(info))
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
	patch, ok := rest.ReadBody(w, r, true)
	if !ok {
		return
	}
	if err := checkClientPatch(patch, id); err != nil {
		err.Write(w)
		return
	}
	apis, err := s.cfg.Store.ListAPIs(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	var secret string
	err = s.cfg.Store.UpdateClient(r.Context(), id, func(c *store.Client) error {
		if !rest.Matches(r, rest.ETag(storedClientInfo(*c))) {
			return rest.ErrStale
		}
		next, generated, err := s.patchedClient(*c, patch, apis)
		if err == nil {
			err = delegate.Scopes(r, c.Scopes, next.Scopes)
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
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: id, Detail: map[string]any{"change": "client updated"}})
	c, ok := s.lookupClient(w, r, id)
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, createdClient{ClientInfo: c, ClientSecret: secret}, rest.ETag(c))
}

// storedClientInfo is a stored client as the API shows it, whose ETag an
// If-Match names.
func storedClientInfo(c store.Client) registry.ClientInfo {
	return registry.ClientFromStore(c, registry.SourceStore)
}

// checkClientPatch refuses a patch that is not a JSON object or that
// touches client_id (other than to repeat it) or client_secret.
func checkClientPatch(patch []byte, id string) *rest.Error {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		return rest.Malformed(errors.New("a merge patch must be a JSON object"))
	}
	var fields []rest.FieldProblem
	if v, ok := p["client_id"]; ok && !bytes.Equal(bytes.TrimSpace(v), mustJSON(id)) {
		fields = append(fields, rest.FieldProblem{Field: "client_id", Detail: "cannot change: create a client with the new client_id instead"})
	}
	if _, ok := p["client_secret"]; ok {
		fields = append(fields, rest.FieldProblem{Field: "client_secret", Detail: "cannot be patched: rotate it with POST " + PathPrefix + "clients/{client_id}/secret"})
	}
	if fields != nil {
		return &rest.Error{Status: http.StatusBadRequest, Slug: rest.ProblemInvalid, Detail: "the patch changes what cannot change", Fields: fields}
	}
	return nil
}

// mustJSON is v's JSON encoding.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// patchedClient is c with patch applied, by change.Changer.ReplaceClient.
func (s *Server) patchedClient(c store.Client, patch []byte, apis []store.API) (store.Client, string, error) {
	doc, _ := json.Marshal(registry.ClientFromStore(c, registry.SourceStore).Client)
	merged, err := rest.MergePatch(doc, patch)
	if err != nil {
		return c, "", rest.Malformed(err)
	}
	var cl registry.Client
	if err := rest.DecodeStrict(merged, &cl); err != nil {
		return c, "", rest.Malformed(err)
	}
	return s.ch.ReplaceClient(c, cl, apis)
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
	if err := s.ch.RemoveClient(r.Context(), id, rest.IfMatch(r, storedClientInfo)); err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: id, Detail: map[string]any{"change": "client deleted"}})
	w.WriteHeader(http.StatusNoContent)
}
