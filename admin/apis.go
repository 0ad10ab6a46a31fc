package admin

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// SourceBuiltin is the source of the management API itself in the list
// of APIs, and of the console's client in the list of clients: neither the
// file nor the store defines them, and they cannot change.
const SourceBuiltin = registry.SourceBuiltin

// apiRoutes registers /apis. An identifier is one path segment,
// percent-encoded (url.PathEscape), since identifiers are URIs.
func (s *Server) apiRoutes() {
	s.route("GET "+PathPrefix+"apis", ScopeAPIsRead, s.listAPIs)
	s.route("POST "+PathPrefix+"apis", ScopeAPIsWrite, s.createAPI)
	s.route("GET "+PathPrefix+"apis/{identifier}", ScopeAPIsRead, s.getAPI)
	s.route("PATCH "+PathPrefix+"apis/{identifier}", ScopeAPIsWrite, s.patchAPI)
	s.route("DELETE "+PathPrefix+"apis/{identifier}", ScopeAPIsWrite, s.deleteAPI)
}

// builtinAPI is the management API as a resource server.
func (s *Server) builtinAPI() registry.APIInfo {
	return registry.APIInfo{API: registry.AdminAPI(s.cfg.Issuer), Source: SourceBuiltin}
}

// fixedAPI returns the API of the file, or the built-in one, with this
// identifier.
func (s *Server) fixedAPI(id string) (registry.APIInfo, bool) {
	if b := s.builtinAPI(); b.Identifier == id {
		return b, true
	}
	if i := slices.IndexFunc(s.cfg.FileAPIs, func(a registry.API) bool { return a.Identifier == id }); i >= 0 {
		return registry.APIInfo{API: s.cfg.FileAPIs[i], Source: registry.SourceConfig}, true
	}
	return registry.APIInfo{}, false
}

// listAPIs answers the built-in API, the file's and the store's, by
// identifier.
func (s *Server) listAPIs(w http.ResponseWriter, r *http.Request) {
	stored, err := s.cfg.Store.ListAPIs(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	all := []registry.APIInfo{s.builtinAPI()}
	for _, a := range s.cfg.FileAPIs {
		if a.Identifier != all[0].Identifier {
			all = append(all, registry.APIInfo{API: a, Source: registry.SourceConfig})
		}
	}
	for _, a := range stored {
		all = append(all, registry.APIFromStore(a, registry.SourceStore))
	}
	slices.SortFunc(all, func(a, b registry.APIInfo) int { return cmp.Compare(a.Identifier, b.Identifier) })
	rest.PageByKey(w, r, all, func(a registry.APIInfo) string { return a.Identifier })
}

// lookupAPI finds an API; found is false when it has answered.
func (s *Server) lookupAPI(w http.ResponseWriter, r *http.Request, id string) (registry.APIInfo, bool) {
	if a, ok := s.fixedAPI(id); ok {
		return a, true
	}
	a, err := s.cfg.Store.GetAPI(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no API has this identifier (percent-encode it as one path segment)")
		return registry.APIInfo{}, false
	}
	if err != nil {
		s.failed(w, r, err)
		return registry.APIInfo{}, false
	}
	return registry.APIFromStore(a, registry.SourceStore), true
}

// storedAPIInfo is a stored API as the API shows it, whose ETag an
// If-Match names.
func storedAPIInfo(a store.API) registry.APIInfo {
	return registry.APIFromStore(a, registry.SourceStore)
}

// getAPI answers one API with its ETag.
func (s *Server) getAPI(w http.ResponseWriter, r *http.Request) {
	a, ok := s.lookupAPI(w, r, pathID(r, "identifier"))
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, a, rest.ETag(a))
}

// refuseFixedAPI answers 409 for a change to the built-in API or one of
// the file's, and reports whether it did.
func (s *Server) refuseFixedAPI(w http.ResponseWriter, id string) bool {
	a, ok := s.fixedAPI(id)
	if !ok {
		return false
	}
	if a.Source == SourceBuiltin {
		rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict, "the management API is built in and cannot change")
	} else {
		rest.WriteFileDefined(w, "API "+id)
	}
	return true
}

// clientKinds tells NewAPI which IDs name clients and which of those are
// public, from the file and the store.
func (s *Server) clientKinds(r *http.Request) (func(id string) (public, ok bool), error) {
	stored, err := s.cfg.Store.ListClients(r.Context())
	if err != nil {
		return nil, err
	}
	public := map[string]bool{}
	for _, c := range append(stored, s.fixedClients()...) {
		public[c.ID] = c.AuthMethod == store.AuthNone
	}
	return func(id string) (bool, bool) { p, ok := public[id]; return p, ok }, nil
}

// createAPI registers an API. Its scopes are grantable at once on this
// instance, and on the others as soon as Changed reaches them.
func (s *Server) createAPI(w http.ResponseWriter, r *http.Request) {
	var a registry.API
	if !rest.ReadJSON(w, r, &a, false) {
		return
	}
	if s.refuseFixedAPI(w, a.Identifier) {
		return
	}
	kinds, err := s.clientKinds(r)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	sa, err := s.cfg.Rules.NewAPI(a, kinds)
	if err != nil {
		rest.Invalid(err).Write(w)
		return
	}
	sa.CreatedAt = s.cfg.Now().UTC()
	if err := s.cfg.Store.CreateAPI(r.Context(), sa); errors.Is(err, store.ErrAlreadyExists) {
		rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict, "an API with this identifier exists",
			rest.FieldProblem{Field: "identifier", Detail: "is taken"})
		return
	} else if err != nil {
		s.failed(w, r, err)
		return
	}
	s.cfg.Changed(r.Context())
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Detail: map[string]any{"change": "API created", "api": sa.Identifier}})
	info, ok := s.lookupAPI(w, r, sa.Identifier)
	if !ok {
		return
	}
	w.Header().Set("Location", PathPrefix+"apis/"+url.PathEscape(sa.Identifier))
	rest.WriteJSON(w, http.StatusCreated, info, rest.ETag(info))
}

// patchAPI applies a merge patch to a stored API, revalidated; the
// If-Match check runs inside the store's transaction.
func (s *Server) patchAPI(w http.ResponseWriter, r *http.Request) {
	id := pathID(r, "identifier")
	if s.refuseFixedAPI(w, id) {
		return
	}
	patch, ok := rest.ReadBody(w, r, true)
	if !ok {
		return
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		rest.Malformed(errors.New("a merge patch must be a JSON object")).Write(w)
		return
	}
	if v, ok := p["identifier"]; ok && string(v) != string(mustJSON(id)) {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "the patch changes what cannot change",
			rest.FieldProblem{Field: "identifier", Detail: "cannot change: create an API with the new identifier instead"})
		return
	}
	kinds, err := s.clientKinds(r)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	err = s.cfg.Store.UpdateAPI(r.Context(), id, func(a *store.API) error {
		if !rest.Matches(r, rest.ETag(storedAPIInfo(*a))) {
			return rest.ErrStale
		}
		doc, _ := json.Marshal(registry.APIFromStore(*a, registry.SourceStore).API)
		merged, err := rest.MergePatch(doc, patch)
		if err != nil {
			return rest.Malformed(err)
		}
		var next registry.API
		if err := rest.DecodeStrict(merged, &next); err != nil {
			return rest.Malformed(err)
		}
		next.Identifier = a.Identifier
		sa, err := s.cfg.Rules.NewAPI(next, kinds)
		if err != nil {
			return rest.Invalid(err)
		}
		sa.CreatedAt, sa.UpdatedAt = a.CreatedAt, s.cfg.Now().UTC()
		*a = sa
		return nil
	})
	if err != nil {
		s.writeError(w, r, err, "API")
		return
	}
	s.cfg.Changed(r.Context())
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Detail: map[string]any{"change": "API updated", "api": id}})
	s.getAPI(w, r)
}

// deleteAPI removes a stored API. Clients keep its scope names, which
// grant nothing until an API defines them again; tokens already issued
// for it live out their lifetime. The If-Match test runs inside the
// deletion's transaction.
func (s *Server) deleteAPI(w http.ResponseWriter, r *http.Request) {
	id := pathID(r, "identifier")
	if s.refuseFixedAPI(w, id) {
		return
	}
	if err := s.cfg.Store.DeleteAPI(r.Context(), id, rest.IfMatch(r, storedAPIInfo)); err != nil {
		s.writeError(w, r, err, "API")
		return
	}
	s.cfg.Changed(r.Context())
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{Detail: map[string]any{"change": "API deleted", "api": id}})
	w.WriteHeader(http.StatusNoContent)
}
