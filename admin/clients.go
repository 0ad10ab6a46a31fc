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

// listClients answers the file's clients and the store's, by client_id.
func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	stored, err := s.cfg.Store.ListClients(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	all := make([]registry.ClientInfo, 0, len(stored)+len(s.cfg.FileClients))
	for _, c := range s.cfg.FileClients {
		all = append(all, registry.ClientFromStore(c, registry.SourceConfig))
	}
	for _, c := range stored {
		all = append(all, registry.ClientFromStore(c, registry.SourceStore))
	}
	slices.SortFunc(all, func(a, b registry.ClientInfo) int { return cmp.Compare(a.ClientID, b.ClientID) })
	rest.PageByKey(w, r, all, func(c registry.ClientInfo) string { return c.ClientID })
}

// lookupClient finds a client of the file or the store; found is false
// when it has answered (404 or a failure).
func (s *Server) lookupClient(w http.ResponseWriter, r *http.Request, id string) (c registry.ClientInfo, sc store.Client, found bool) {
	if i := slices.IndexFunc(s.cfg.FileClients, func(c store.Client) bool { return c.ID == id }); i >= 0 {
		return registry.ClientFromStore(s.cfg.FileClients[i], registry.SourceConfig), s.cfg.FileClients[i], true
	}
	sc, err := s.cfg.Store.GetClient(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "no client has this client_id")
		return c, sc, false
	}
	if err != nil {
		s.failed(w, r, err)
		return c, sc, false
	}
	return registry.ClientFromStore(sc, registry.SourceStore), sc, true
}

// getClient answers one client with its ETag.
func (s *Server) getClient(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.lookupClient(w, r, pathID(r, "client_id"))
	if !ok {
		return
	}
	rest.WriteJSON(w, http.StatusOK, c, rest.ETag(c))
}

// refuseFile answers 409 for a change to something the configuration file
// defines: the file is the truth for it, and would undo the change at the
// next start.
func refuseFile(w http.ResponseWriter, what string) {
	rest.WriteProblem(w, http.StatusConflict, rest.ProblemConflict,
		what+" is defined in the configuration file: change it there and restart (or remove it there to manage it here)")
}
