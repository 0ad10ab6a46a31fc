package people

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// linkRoutes registers /users/{id}/links: a user's links to upstream
// identities (federated sign-in), named by connector and upstream
// subject, and removing one.
func (s *server) linkRoutes() {
	s.route("GET "+rest.PathPrefix+"users/{id}/links", registry.ScopeUsersRead, s.listLinks)
	s.route("DELETE "+rest.PathPrefix+"users/{id}/links/{connector_id}/{subject}", registry.ScopeUsersWrite, s.deleteLink)
}

// maxLinkPart bounds a connector ID or subject in a path: far above any
// real one, so a longer value is a mistake, not a link.
const maxLinkPart = 1024

// listLinks answers a user's links, oldest first. A user has a link per
// connector at most in practice: the list is one page, without a cursor.
func (s *server) listLinks(w http.ResponseWriter, r *http.Request) {
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	found, err := s.ch.Store.ListLinks(r.Context(), u.ID)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	out := rest.Page[registry.Link]{Items: []registry.Link{}}
	for _, l := range found {
		out.Items = append(out.Items, registry.LinkFromStore(l))
	}
	rest.WriteJSON(w, http.StatusOK, out, "")
}

// deleteLink removes one of a user's links. The user stays, with their
// sessions and grants: the upstream identity's next sign-in no longer
// finds them by the link, and is provisioned, linked by email or refused
// as the connector's rules say. Links are the store's, not the
// configuration file's, so a file-defined user's links can be removed too.
func (s *server) deleteLink(w http.ResponseWriter, r *http.Request) {
	connector, subject := r.PathValue("connector_id"), r.PathValue("subject")
	var bad []rest.FieldProblem
	for _, f := range []struct{ name, value string }{{"connector_id", connector}, {"subject", subject}} {
		if !linkPart(f.value) {
			bad = append(bad, rest.FieldProblem{Field: f.name, Detail: "must be valid UTF-8 without control characters, at most 1024 bytes"})
		}
	}
	if bad != nil {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "the link is not valid", bad...)
		return
	}
	u, ok := s.lookupUser(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	err := s.ch.Store.DeleteLink(r.Context(), u.ID, connector, subject)
	if errors.Is(err, store.ErrNotFound) {
		rest.WriteProblem(w, http.StatusNotFound, rest.ProblemNotFound, "the user has no link to this connector and subject")
		return
	}
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.LinkRemoved, store.AuditEvent{Subject: u.ID,
		Detail: map[string]any{"connector": connector, "upstream_subject": subject, "username": u.Username}})
	w.WriteHeader(http.StatusNoContent)
}

// linkPart reports whether v can be a connector ID or an upstream subject.
func linkPart(v string) bool {
	return v != "" && len(v) <= maxLinkPart && utf8.ValidString(v) &&
		!strings.ContainsFunc(v, unicode.IsControl)
}
