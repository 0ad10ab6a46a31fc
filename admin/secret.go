package admin

import (
	"fmt"
	"net/http"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// rotateSecret gives a stored client a new secret, shown once, and keeps
// the old one valid for the requested overlap (none by default), so that
// the client's instances can move to the new one.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) {
	id := pathID(r, "client_id")
	if s.refuseFixedClient(w, id) {
		return
	}
	var rot registry.SecretRotation
	if r.ContentLength != 0 && !rest.ReadJSON(w, r, &rot, false) {
		return
	}
	if rot.Overlap < 0 || rot.Overlap.D() > store.MaxSecretOverlap {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "overlap is out of range",
			rest.FieldProblem{Field: "overlap", Detail: fmt.Sprintf("must be between 0s and %v", store.MaxSecretOverlap)})
		return
	}
	secret, hash := authserver.NewSecret()
	var out registry.NewSecret
	err := s.cfg.Store.UpdateClient(r.Context(), id, func(c *store.Client) error {
		if !rest.Matches(r, rest.ETag(storedClientInfo(*c))) {
			return rest.ErrStale
		}
		if !store.UsesSecret(c.AuthMethod) {
			return &rest.Error{Status: http.StatusConflict, Slug: rest.ProblemConflict,
				Detail: "the client authenticates with " + c.AuthMethod + ", not a secret"}
		}
		c.RotateSecret(hash, rot.Overlap.D(), s.cfg.Now().UTC())
		out = registry.NewSecret{ClientSecret: secret, PreviousSecretExpiresAt: c.PreviousSecretExpiresAt}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.cfg.Changed(r.Context())
	s.ch.Record(r, audit.ConfigChanged, store.AuditEvent{ClientID: id,
		Detail: map[string]any{"change": "client secret rotated", "overlap": rot.Overlap.D().String()}})
	rest.WriteJSON(w, http.StatusOK, out, "")
}
