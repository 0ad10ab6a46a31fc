package authserver

import (
	"net/http"
	"net/url"
	"strconv"
)

// revocationPage bounds each of the two lists in one answer of the
// revocation list.
const revocationPage = 1000

// revocationList is the answer of the revocation list endpoint. Cutoffs
// came after jtis and have their own cursor, so that a guard that knows
// only cursor and revoked (which ignores unknown members, as JSON readers
// do) keeps working; it just does not enforce cutoffs.
type revocationList struct {
	// Cursor is the value to pass as "after" in the next poll.
	Cursor  int64            `json:"cursor"`
	Revoked []revokedElement `json:"revoked"`
	// CutoffCursor is the value to pass as "cutoffs_after" in the next poll.
	CutoffCursor int64           `json:"cutoff_cursor"`
	Cutoffs      []cutoffElement `json:"cutoffs"`
}

type revokedElement struct {
	JTI string `json:"jti"`
	Exp int64  `json:"exp"`
}

// cutoffElement revokes every token whose iat is before NotBefore and
// whose client_id and sub match the members that are present.
type cutoffElement struct {
	ClientID  string `json:"client_id,omitempty"`
	Sub       string `json:"sub,omitempty"`
	NotBefore int64  `json:"not_before"`
	Exp       int64  `json:"exp"`
}

// handleRevocations publishes the jti of every revoked access token that
// has not yet expired, and every cutoff (a client's, a user's, or a user's
// at a client: "revoke everything issued before") that can still revoke an
// unexpired token, so that resource servers validating JWTs locally can
// refuse revoked ones within their polling interval. It is a Portcullis
// extension, advertised in discovery as portcullis_revocation_list_endpoint.
// A jti is a random identifier that grants nothing, and client IDs and
// subjects appear in every token, so the list is public. Each list has its
// cursor ("after" for jtis, "cutoffs_after" for cutoffs); a list shorter
// than 1000 entries means the poller has caught up with it.
func (s *Server) handleRevocations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, ok := cursorParam(q, "after")
	cutoffsAfter, ok2 := cursorParam(q, "cutoffs_after")
	if !ok || !ok2 {
		errInvalidRequest("after and cutoffs_after must each be one non-negative integer cursor").Render(w)
		return
	}
	revs, err := s.store.ListRevocations(r.Context(), after, revocationPage)
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	cuts, err := s.store.ListCutoffs(r.Context(), cutoffsAfter, revocationPage)
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	out := revocationList{
		Cursor: after, Revoked: make([]revokedElement, 0, len(revs)),
		CutoffCursor: cutoffsAfter, Cutoffs: make([]cutoffElement, 0, len(cuts)),
	}
	now := s.cfg.Now()
	for _, rv := range revs {
		out.Cursor = rv.Seq
		if rv.ExpiresAt.After(now) {
			out.Revoked = append(out.Revoked, revokedElement{JTI: rv.JTI, Exp: rv.ExpiresAt.Unix()})
		}
	}
	for _, c := range cuts {
		out.CutoffCursor = c.Seq
		if c.ExpiresAt.After(now) {
			out.Cutoffs = append(out.Cutoffs, cutoffElement{ClientID: c.ClientID, Sub: c.Subject,
				NotBefore: c.NotBefore.Unix(), Exp: c.ExpiresAt.Unix()})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// cursorParam reads an optional cursor parameter: absent is 0; repeated,
// negative or not an integer is not ok.
func cursorParam(q url.Values, name string) (int64, bool) {
	v := q[name]
	if len(v) == 0 {
		return 0, true
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if len(v) > 1 || err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
