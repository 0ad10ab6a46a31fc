package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// server is one target, started fresh for one measurement.
type server struct {
	name string
	// procs are the processes whose CPU counts as the server's.
	procs []*proc
	// Endpoints, from discovery where the server has it.
	tokenURL, introspectURL, jwksURL string
	// base is where this instance listens, and issuer its issuer
	// identifier (several instances may share one), for Portcullis.
	base, issuer string
	// gatewayURL is Portcullis's gateway listener, when configured.
	gatewayURL string
	// ready is the time from exec to ready.
	ready time.Duration
}

// stop ends every process of the server.
func (s *server) stop() {
	if s == nil {
		return
	}
	for _, p := range s.procs {
		p.stop()
	}
}

// cpu is the CPU time all the server's processes have used.
func (s *server) cpu() (time.Duration, error) {
	var total time.Duration
	for _, p := range s.procs {
		c, err := p.cpu()
		if err != nil {
			return 0, err
		}
		total += c
	}
	return total, nil
}

// rss is the sum of the server's processes' resident sets, in bytes.
func (s *server) rss() int64 {
	var total int64
	for _, p := range s.procs {
		total += p.rss()
	}
	return total
}

// discover reads the endpoints from the issuer's OpenID Connect discovery
// document.
func (s *server) discover(ctx context.Context, base string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/.well-known/openid-configuration", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: discovery: %w", s.name, err)
	}
	defer resp.Body.Close()
	var d struct {
		Token      string `json:"token_endpoint"`
		Introspect string `json:"introspection_endpoint"`
		JWKS       string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return fmt.Errorf("%s: discovery: %w", s.name, err)
	}
	s.tokenURL, s.introspectURL, s.jwksURL = d.Token, d.Introspect, d.JWKS
	return nil
}

// floorGC paces the floors' collector as portcullis serve paces its own
// (cmd/portcullis/gcpace.go), so that the ratios compare the work each
// request does, not the collector's settings.
var floorGC = []string{"GOGC=400", "GOMEMLIMIT=256MiB"}

// startFloor starts one of this binary's floors on the server core, or
// with cpu on another.
func startFloor(ctx context.Context, e *env, name string, cpu int, args ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	argv := append([]string{e.self, name, "-addr", addr}, args...)
	p, err := startProc(name, e.tmp, cpu, floorGC, argv...)
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	ready, err := p.waitReady(ctx, base+"/", 10*time.Second)
	if err != nil {
		p.stop()
		return nil, err
	}
	return &server{
		name: name, procs: []*proc{p}, ready: ready,
		tokenURL: base + "/token", introspectURL: base + "/introspect", jwksURL: base + "/jwks",
	}, nil
}
