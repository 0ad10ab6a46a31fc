package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// maxOverlap bounds how long a replaced secret stays valid: a week is
// time enough to roll the new one out, and a leaked secret must not live
// on for long.
const maxOverlap = 7 * 24 * time.Hour

// rotateSecret gives a stored client a new secret, shown once, and keeps
// the old one valid for the requested overlap (none by default), so that
// the client's instances can move to the new one.
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) {
	id := pathID(r, "client_id")
	if s.isFileClient(id) {
		refuseFile(w, "client "+id)
		return
	}
	var rot registry.SecretRotation
	if r.ContentLength != 0 && !readJSON(w, r, &rot, false) {
		return
	}
	if rot.Overlap < 0 || rot.Overlap.D() > maxOverlap {
		writeProblem(w, http.StatusBadRequest, problemInvalid, "overlap is out of range",
			FieldProblem{Field: "overlap", Detail: fmt.Sprintf("must be between 0s and %v", maxOverlap)})
		return
	}
	secret, hash := authserver.NewSecret()
	var out registry.NewSecret
	err := s.cfg.Store.UpdateClient(r.Context(), id, func(c *store.Client) error {
		if !matches(r, etagOf(registry.ClientFromStore(*c, registry.SourceStore))) {
			return errStale
		}
		if !usesSecret(c.AuthMethod) {
			return &problemError{status: http.StatusConflict, slug: problemConflict,
				detail: "the client authenticates with " + c.AuthMethod + ", not a secret"}
		}
		now := s.cfg.Now().UTC()
		c.PreviousSecretHash, c.PreviousSecretExpiresAt = nil, time.Time{}
		if rot.Overlap > 0 {
			c.PreviousSecretHash, c.PreviousSecretExpiresAt = c.SecretHash, now.Add(rot.Overlap.D())
		}
		c.SecretHash, c.UpdatedAt = hash, now
		out = registry.NewSecret{ClientSecret: secret, PreviousSecretExpiresAt: c.PreviousSecretExpiresAt}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err, "client")
		return
	}
	s.cfg.Changed(r.Context())
	s.record(r, audit.ConfigChanged, store.AuditEvent{ClientID: id,
		Detail: map[string]any{"change": "client secret rotated", "overlap": rot.Overlap.D().String()}})
	writeJSON(w, http.StatusOK, out, "")
}
