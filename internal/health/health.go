// Package health serves the liveness and readiness checks on the
// listeners of parts that wait for their issuer, the gateway and the
// OAuth Agent, so that a load balancer or an orchestrator probes each
// listener it sends traffic to.
package health

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// Handler answers GET and HEAD /healthz and /readyz itself and passes
// every other request to the part behind it. Those two paths are
// reserved: a gateway route or an agent path under them is not reached.
type Handler struct {
	next     http.Handler
	ready    func() error
	draining atomic.Bool
}

// Mount puts the checks in front of next. ready says whether the part can
// serve (nil) or why not; the reason is not sent, since the listener may
// face the Internet and the reason names internal addresses: the part
// logs it.
func Mount(next http.Handler, ready func() error) *Handler {
	return &Handler{next: next, ready: ready}
}

// Drain makes /readyz answer 503 from now on while every other request is
// still served: the process is shutting down, and load balancers should
// stop sending it requests before its listeners close.
func (h *Handler) Drain() { h.draining.Store(true) }

// ServeHTTP answers /healthz, the liveness check (the process serves
// HTTP: 200 {"status":"ok"}), and /readyz, the readiness check (200
// {"status":"ready"}, or 503 {"status":"not ready"} or {"status":"shutting
// down"}), and passes other requests on.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
		h.next.ServeHTTP(w, r)
		return
	}
	status, state := http.StatusOK, "ok"
	if r.URL.Path == "/readyz" {
		switch {
		case h.draining.Load():
			status, state = http.StatusServiceUnavailable, "shutting down"
		case h.ready() != nil:
			status, state = http.StatusServiceUnavailable, "not ready"
		default:
			state = "ready"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write error means the prober went away; nothing can be done.
	_ = json.NewEncoder(w).Encode(map[string]string{"status": state})
}
