package admin

import (
	"cmp"
	"errors"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// clientRoutes registers /clients.
func (s *Server) clientRoutes() {
	s.route("GET "+PathPrefix+"clients", ScopeClientsRead, s.listClients)
	s.route("GET "+PathPrefix+"clients/{client_id}", ScopeClientsRead, s.getClient)
	s.route("POST "+PathPrefix+"clients", ScopeClientsWrite, s.createClient)
	s.route("PATCH "+PathPrefix+"clients/{client_id}", ScopeClientsWrite, s.patchClient)
	s.route("DELETE "+PathPrefix+"clients/{client_id}", ScopeClientsWrite, s.deleteClient)
	s.route("POST "+PathPrefix+"clients/{client_id}/secret", ScopeClientsWrite, s.rotateSecret)
}

// listClients answers the built-in clients, the file's and the store's,
// by client_id.
func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	stored, err := s.cfg.Store.ListClients(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	all := make([]registry.ClientInfo, 0, len(stored)+len(s.cfg.FileClients)+len(s.cfg.BuiltinClients))
	for _, c := range s.fixedClients() {
		info, _ := s.fixedClient(c.ID)
		all = append(all, info)
	}
	for _, c := range stored {
		all = append(all, registry.ClientFromStore(c, registry.SourceStore))
	}
	slices.SortFunc(all, func(a, b registry.ClientInfo) int { return cmp.Compare(a.ClientID, b.ClientID) })
	rest.PageByKey(w, r, all, func(c registry.ClientInfo) string { return c.ClientID })
}

// fixedClients are the clients the management API cannot change: the
// built-in ones and the file's.
func (s *Server) fixedClients() []store.Client {
	return slices.Concat(s.cfg.BuiltinClients, s.cfg.FileClients)
}

// fixedClient returns the built-in or file client with this ID, as the
// API shows it.
func (s *Server) fixedClient(id string) (registry.ClientInfo, bool) {
	byID := func(c store.Client) bool { return c.ID == id }
	if i := slices.IndexFunc(s.cfg.BuiltinClients, byID); i >= 0 {
		return registry.ClientFromStore(s.cfg.BuiltinClients[i], SourceBuiltin), true
	}
	if i := slices.IndexFunc(s.cfg.FileClients, byID); i >= 0 {
		return registry.ClientFromStore(s.cfg.FileClients[i], registry.SourceConfig), true
	}
	return registry.ClientInfo{}, false
}

// refuseFixedClient answers 409 for a change to a built-in client or one
// of the file's, creating one with its ID included, and reports whether it
// did.
func (s *Server) refuseFixedClient(w http.ResponseWriter, id string) bool {
	c, ok := s.fixedClient(id)
	if !ok {
		return false
	}
	if c.Source == SourceBuiltin {
		rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict, "client "+id+" is built in (the console's) and cannot change")
	} else {
		rest.WriteFileDefined(w, "client "+id)
	}
	return true
}

// lookupClient finds a client of the server, the file or the store; found
// is false when it has answered (404 or a failure).
func (s *Server) lookupClient(w http.ResponseWriter, r *http.Request, id string) (registry.ClientInfo, bool) {
	if c, ok := s.fixedClient(id); ok {
		return c, true
	}
	sc, err := s.cfg.Store.GetClient(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no client has this client_id")
		return registry.ClientInfo{}, false
	}
	if err != nil {
		s.failed(w, r, err)
		return registry.ClientInfo{}, false
	}
	return registry.ClientFromStore(sc, registry.SourceStore), true
}

// getClient answers one client with its ETag.
func (s *Server) getClient(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookupClient(w, r, pathID(r, "client_id"))
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, c, rest.ETag(c))
}
