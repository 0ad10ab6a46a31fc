package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"
)

// oidcProviderModes are node-oidc-provider's token formats bench runs:
// its default opaque tokens, JWTs signed ES256 (like for like with
// Portcullis), and JWTs signed with its default RS256.
var oidcProviderModes = []string{"opaque", "jwt", "jwt-rs256"}

// nodeSetup checks node and npm and installs bench/node's packages when
// node_modules is missing. It returns why node targets cannot run, or "".
func nodeSetup(dir string) string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed: the oidc-provider targets are skipped"
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err == nil {
		return ""
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "npm is not installed: the oidc-provider targets are skipped"
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Sprintf("npm ci in %s failed (%v): the oidc-provider targets are skipped\n%s", dir, err, out)
	}
	return ""
}

var readyLine = regexp.MustCompile(`(?m)^ready (http://\S+)$`)

// startOIDCProvider runs bench/node/server.mjs in mode on the server core
// and waits for its "ready" line: the time to that is s.ready.
func startOIDCProvider(ctx context.Context, e *env, mode string) (*server, error) {
	name := "oidc-provider " + mode
	if e.nodeSkip != "" {
		return nil, errSkip(e.nodeSkip)
	}
	p, err := startProc(name, e.tmp, serverCPU, nil,
		"node", filepath.Join(e.nodeDir, "server.mjs"), mode, clientID, clientSecret)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := readyLine.FindStringSubmatch(p.output.String()); m != nil {
			s := &server{name: name, procs: []*proc{p}, ready: time.Since(p.started)}
			if err := s.discover(ctx, m[1]); err != nil {
				p.stop()
				return nil, err
			}
			return s, nil
		}
		if p.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not start: %s", name, p.output)
		}
		time.Sleep(time.Millisecond)
	}
}

// errSkip is a target that cannot run here, said once in the report.
type errSkip string

func (e errSkip) Error() string { return string(e) }
