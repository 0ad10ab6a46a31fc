package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// keyRoutes registers /keys.
func (s *Server) keyRoutes() {
	s.route("GET "+PathPrefix+"keys", ScopeKeysRead, s.listKeys)
	s.route("POST "+PathPrefix+"keys/rotate", ScopeKeysWrite, s.rotateKey)
}

// keyInfo is k as the API shows it among all keys at now: its public
// part and lifecycle, never its private part.
func keyInfo(k store.Key, all []store.Key, now time.Time) (registry.Key, error) {
	jwk, err := keys.PublicJWK(k)
	if err != nil {
		return registry.Key{}, err
	}
	pub, err := json.Marshal(jwk)
	if err != nil {
		return registry.Key{}, fmt.Errorf("key %s: %w", k.ID, err)
	}
	return registry.Key{KID: k.ID, Alg: k.Alg, State: keys.State(k, all, now), CreatedAt: k.CreatedAt.UTC(),
		ActivatesAt: k.ActivatesAt.UTC(), RetiredAt: keys.RetiredAt(k, all, now).UTC(), Public: pub}, nil
}

// listKeys answers every signing key in one page, in activation order.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	all, err := s.cfg.Keys.ListKeys(r.Context())
	if err != nil {
		s.failed(w, r, err)
		return
	}
	now := s.cfg.Now()
	out := rest.Page[registry.Key]{Items: []registry.Key{}}
	for _, k := range all {
		info, err := keyInfo(k, all, now)
		if err != nil {
			s.failed(w, r, err)
			return
		}
		out.Items = append(out.Items, info)
	}
	rest.WriteJSON(w, http.StatusOK, out, rest.ETag(out))
}

// rotateKey adds a key, as `portcullis keys rotate` does: published now,
// signing after activate_in (keys.DefaultActivation when absent). The
// body may be empty.
func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) {
	var in registry.KeyRotation
	if r.ContentLength != 0 && !rest.ReadJSON(w, r, &in, false) {
		return
	}
	algs := s.cfg.KeyAlgorithms
	if in.Alg == "" {
		in.Alg = algs[0]
	}
	if !slices.Contains(algs, in.Alg) {
		d := "must be one of the algorithms the configuration keeps keys for: " + strings.Join(algs, ", ")
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "alg "+d, rest.FieldProblem{Field: "alg", Detail: d})
		return
	}
	if in.ActivateIn < 0 {
		rest.WriteProblem(w, http.StatusBadRequest, rest.ProblemInvalid, "activate_in must not be negative",
			rest.FieldProblem{Field: "activate_in", Detail: "must not be negative"})
		return
	}
	if in.ActivateIn == 0 {
		in.ActivateIn = registry.Duration(keys.DefaultActivation)
	}
	now := s.cfg.Now()
	k, err := keys.Rotate(r.Context(), s.cfg.Keys, in.Alg, now.Add(in.ActivateIn.D()), s.cfg.KeyRetention, now)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	s.ch.Record(r, audit.KeyRotated, store.AuditEvent{
		Detail: map[string]any{"kid": k.ID, "alg": k.Alg, "activates_at": k.ActivatesAt.UTC().Format(time.RFC3339)}})
	info, err := keyInfo(k, []store.Key{k}, now)
	if err != nil {
		s.failed(w, r, err)
		return
	}
	// Keys have no resource of their own: the new one is listed there.
	w.Header().Set("Location", PathPrefix+"keys")
	rest.WriteJSON(w, http.StatusCreated, info, rest.ETag(info))
}
