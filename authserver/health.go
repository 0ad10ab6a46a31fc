package authserver

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Health returns the liveness and readiness checks alone (GET /healthz,
// GET /readyz), for an operations listener that does not serve the
// protocol endpoints. Handler serves them too, for load balancers that
// probe the public address.
func (s *Server) Health() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	return mux
}

// handleHealth is the liveness check: the process serves HTTP.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady is the readiness check: the store answers within two seconds
// and takes writes (writecheck.go), and signing keys are loaded. A load balancer sends no traffic to an
// instance that fails it. It also reports, without failing, whether signing
// keys are encrypted at rest ("keys_at_rest": "encrypted" or "plaintext")
// and, with Redis configured, whether it answers ("redis": "ok" or
// "degraded").
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	if s.starting.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"store": "ok", "keys": "ok", "keys_at_rest": "plaintext"}
	if s.cfg.KeysEncrypted {
		checks["keys_at_rest"] = "encrypted"
	}
	if s.cfg.RedisHealthy != nil {
		checks["redis"] = "degraded"
		if s.cfg.RedisHealthy() {
			checks["redis"] = "ok"
		}
	}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness: store unreachable", "err", err)
		checks["store"], status = "unreachable", http.StatusServiceUnavailable
	} else if cause, err := s.writes.check(ctx); cause != "" || err != nil {
		s.log.WarnContext(r.Context(), "readiness: store not writable", "cause", cause, "err", err)
		checks["store"], status = strings.TrimSuffix("not writable: "+cause, ": "), http.StatusServiceUnavailable
	}
	if len(s.keys.Algorithms()) == 0 {
		checks["keys"], status = "not loaded", http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}

// Starting makes /readyz answer 503 until Started: a process whose
// operations listener answers before it listens on its other addresses
// must not draw requests to them yet.
func (s *Server) Starting() { s.starting.Store(true) }

// Started ends Starting.
func (s *Server) Started() { s.starting.Store(false) }

// Drain makes /readyz answer 503 from now on while every other endpoint
// still serves: the process is shutting down, and load balancers should
// stop sending it requests before its listeners close.
func (s *Server) Drain() { s.draining.Store(true) }
