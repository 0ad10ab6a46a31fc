package people

import (
	"net/http"
	"time"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// revocationRoutes registers /revocations.
func (s *server) revocationRoutes() {
	s.route("POST "+rest.PathPrefix+"revocations", registry.ScopeGrantsWrite, s.revoke)
}

// revoke does what `portcullis tokens revoke` does for a client, a user
// or a user at a client, or revokes one access token by its jti.
func (s *server) revoke(w http.ResponseWriter, r *http.Request) {
	var in registry.Revocation
	if !rest.ReadJSON(w, r, &in, false) {
		return
	}
	if p := revocationProblem(in, s.ch.Now()); p != nil {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, p.Field+" "+p.Detail, *p)
		return
	}
	if in.JTI != "" {
		s.revokeToken(w, r, in)
		return
	}
	c := s.ch.Cutoff(in.ClientID, in.Subject)
	n, err := s.ch.Store.RevokeAll(r.Context(), c, s.ch.Now())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.GrantsRevoked, store.AuditEvent{Subject: in.Subject, ClientID: in.ClientID,
		Detail: map[string]any{"grants": n, "not_before": c.NotBefore.Unix()}})
	if c.Await(r.Context()) != nil {
		return // the caller left; the revocation has committed
	}
	rest.WriteJSON(w, http.StatusOK, registry.RevocationResult{GrantsRevoked: n, NotBefore: c.NotBefore}, "")
}

// revocationProblem checks that in is exactly one form: a jti (with its
// optional expires_at), or a client_id and/or sub.
func revocationProblem(in registry.Revocation, now time.Time) *rest.FieldProblem {
	switch {
	case in.JTI == "" && in.ClientID == "" && in.Subject == "":
		return &rest.FieldProblem{Field: "jti", Detail: "is required unless client_id or sub is given: the request names nothing to revoke"}
	case in.JTI != "" && in.ClientID != "":
		return &rest.FieldProblem{Field: "client_id", Detail: "cannot be combined with jti: revoke one token or everything of a client or user, not both"}
	case in.JTI != "" && in.Subject != "":
		return &rest.FieldProblem{Field: "sub", Detail: "cannot be combined with jti: revoke one token or everything of a client or user, not both"}
	case in.JTI == "" && !in.ExpiresAt.IsZero():
		return &rest.FieldProblem{Field: "expires_at", Detail: "is only for a jti: a revocation of a client or user lasts as long as their tokens"}
	case in.JTI != "" && !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now):
		return &rest.FieldProblem{Field: "expires_at", Detail: "must be in the future: a token that has expired needs no revocation"}
	}
	return nil
}

// revokeToken revokes the access token in.JTI until in.ExpiresAt, which is
// at most the longest lifetime a token issued now has (later would keep a
// row no token needs).
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request, in registry.Revocation) {
	now := s.ch.Now()
	longest := now.Add(s.ch.TokenTTL + store.CutoffSkew)
	exp := in.ExpiresAt
	if exp.IsZero() || exp.After(longest) {
		exp = longest
	}
	if err := s.ch.Store.RevokeToken(r.Context(), store.Revocation{JTI: in.JTI, ExpiresAt: exp, RevokedAt: now}); err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.TokenRevoked, store.AuditEvent{Detail: map[string]any{"jti": in.JTI}})
	rest.WriteJSON(w, http.StatusOK, registry.RevocationResult{}, "")
}
