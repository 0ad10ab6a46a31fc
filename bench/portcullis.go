package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The one client and API of every bench server.
const (
	clientID     = "bench"
	clientSecret = "bench-secret-0123456789abcdef0123456789"
	apiID        = "https://api.bench.test"
	// benchKEK encrypts the signing keys at rest, as a deployment would.
	benchKEK = "8f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"
)

// portcullisConfig is what varies between the bench's Portcullis servers.
type portcullisConfig struct {
	// storage is the store URL; empty means SQLite in the server's folder.
	storage string
	// redis is the Redis URL; empty means none.
	redis string
	// upstream, when set, adds a gateway: block in front of it.
	upstream string
	// issuer, when set, is the issuer instead of http://<listen>: one
	// issuer for several instances, as behind a load balancer.
	issuer string
}

// portcullisYAML is the bench configuration. The log level is warn so
// that logging a line per request does not dominate the figures; rate
// limits and usage counting keep their defaults (none applies to a client
// credentials client's tokens or to successful introspections).
const portcullisYAML = `issuer: {{issuer}}
listen: {{listen}}
ops_listen: {{ops}}
storage: {{storage}}
{{redis}}key_encryption_key: ` + benchKEK + `
log_level: warn
apis:
  - identifier: ` + apiID + `
    scopes: [read]
clients:
  - client_id: ` + clientID + `
    client_secret: ` + clientSecret + `
    grant_types: [client_credentials]
    scopes: [read]
{{gateway}}`

const gatewayYAML = `gateway:
  listen: {{gwlisten}}
  issuer: http://{{listen}}
  audience: ` + apiID + `
  algorithms: [ES256]
  routes:
    - path: /
      upstream: {{upstream}}
`

// writePortcullisConfig writes dir/portcullis.yaml on fresh ports and
// returns the server with its addresses filled in (not started).
func writePortcullisConfig(dir string, c portcullisConfig) (s *server, ops string, err error) {
	listen, err1 := freeAddr()
	ops, err2 := freeAddr()
	gw, err3 := freeAddr()
	if err := firstErr(err1, err2, err3); err != nil {
		return nil, "", err
	}
	storage := c.storage
	if storage == "" {
		storage = "sqlite://" + filepath.Join(dir, "portcullis.db")
	}
	redis, gateway := "", ""
	if c.redis != "" {
		redis = "redis: " + c.redis + "\n"
	}
	s = &server{name: "portcullis"}
	if c.upstream != "" {
		gateway = strings.NewReplacer("{{gwlisten}}", gw, "{{upstream}}", c.upstream).Replace(gatewayYAML)
		s.gatewayURL = "http://" + gw
	}
	issuer := c.issuer
	if issuer == "" {
		issuer = "http://" + listen
	}
	yaml := strings.NewReplacer("{{issuer}}", issuer, "{{listen}}", listen, "{{ops}}", ops, "{{storage}}", storage,
		"{{redis}}", redis, "{{gateway}}", gateway).Replace(portcullisYAML)
	yaml = strings.ReplaceAll(yaml, "{{listen}}", listen) // inside the gateway block
	if err := os.WriteFile(filepath.Join(dir, "portcullis.yaml"), []byte(yaml), 0o600); err != nil {
		return nil, "", err
	}
	s.base, s.issuer = "http://"+listen, issuer
	return s, "http://" + ops, nil
}

// startPortcullis runs portcullis serve from dir/portcullis.yaml (written
// by writePortcullisConfig) and waits for the operations listener's
// /readyz; the time to that is s.ready.
func startPortcullis(ctx context.Context, e *env, dir string, s *server, ops string) error {
	p, err := startProc("portcullis", dir, serverCPU, nil, e.portcullis, "serve", "--config", filepath.Join(dir, "portcullis.yaml"))
	if err != nil {
		return err
	}
	s.procs = []*proc{p}
	if s.ready, err = p.waitReady(ctx, ops+"/readyz", 30*time.Second); err != nil {
		p.stop()
		return err
	}
	if err := s.discover(ctx, s.base); err != nil {
		p.stop()
		return err
	}
	// Discovery names the issuer's host; send to this instance's own.
	for _, u := range []*string{&s.tokenURL, &s.introspectURL, &s.jwksURL} {
		if rest, ok := strings.CutPrefix(*u, s.issuer); ok {
			*u = s.base + rest
		}
	}
	return nil
}

// newPortcullis starts a fresh Portcullis in a new folder of e.tmp.
func newPortcullis(ctx context.Context, e *env, c portcullisConfig) (*server, error) {
	dir, err := os.MkdirTemp(e.tmp, "portcullis-")
	if err != nil {
		return nil, err
	}
	s, ops, err := writePortcullisConfig(dir, c)
	if err != nil {
		return nil, err
	}
	if err := startPortcullis(ctx, e, dir, s, ops); err != nil {
		return nil, fmt.Errorf("portcullis: %w", err)
	}
	return s, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
