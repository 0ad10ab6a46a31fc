package authserver

import (
	"net/http"
	"strconv"
)

// revocationPage bounds one answer of the revocation list.
const revocationPage = 1000

// revocationList is the answer of the revocation list endpoint.
type revocationList struct {
	// Cursor is the value to pass as "after" in the next poll.
	Cursor  int64            `json:"cursor"`
	Revoked []revokedElement `json:"revoked"`
}

type revokedElement struct {
	JTI string `json:"jti"`
	Exp int64  `json:"exp"`
}

// handleRevocations publishes the jti of every revoked access token that has
// not yet expired, so that resource servers validating JWTs locally can
// refuse revoked ones within their polling interval. It is a Portcullis
// extension, advertised in discovery as portcullis_revocation_list_endpoint.
// A jti is a random identifier that grants nothing, so the list is public.
// An answer shorter than 1000 entries means the poller has caught up.
func (s *Server) handleRevocations(w http.ResponseWriter, r *http.Request) {
	var after int64
	if v := r.URL.Query()["after"]; len(v) > 0 {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if len(v) > 1 || err != nil || n < 0 {
			errInvalidRequest("after must be one non-negative integer cursor").Render(w)
			return
		}
		after = n
	}
	revs, err := s.store.ListRevocations(r.Context(), after, revocationPage)
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	out := revocationList{Cursor: after, Revoked: make([]revokedElement, 0, len(revs))}
	now := s.cfg.Now()
	for _, rv := range revs {
		out.Cursor = rv.Seq
		if rv.ExpiresAt.After(now) {
			out.Revoked = append(out.Revoked, revokedElement{JTI: rv.JTI, Exp: rv.ExpiresAt.Unix()})
		}
	}
	writeJSON(w, http.StatusOK, out)
}
