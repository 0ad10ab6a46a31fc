package interop_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store"
)

// nodeDir holds the Node helper and its pinned dependencies.
const nodeDir = "testdata/node"

// node returns the node command once the helpers' pinned dependencies
// (oauth4webapi, oidc-provider) are installed, installing them with npm ci
// when they are not, so that the README's go test ./... runs these tests
// too. It skips when Node.js is missing or npm cannot install (offline);
// .ci/run installs first and fails instead, so CI always runs them.
func node(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the Node.js interoperability tests (oauth4webapi, oidc-provider) need Node.js 20 or later")
	}
	installOnce.Do(func() {
		if installed() {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		if out, err := cmd.CombinedOutput(); err != nil {
			installErr = fmt.Errorf("npm ci in internal/interop/%s: %v\n%s", nodeDir, err, out)
		}
	})
	if installErr != nil {
		t.Skipf("the Node.js packages could not be installed: %v", installErr)
	}
	return path
}

// installed tells whether every package of testdata/node/package.json is
// in its node_modules.
func installed() bool {
	for _, pkg := range []string{"oauth4webapi", "oidc-provider"} {
		if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", pkg, "package.json")); err != nil {
			return false
		}
	}
	return true
}

// installOnce installs the Node helper's dependencies for every test of
// the run; installErr is why it could not.
var (
	installOnce sync.Once
	installErr  error
)

// Secrets of the test's clients (client_secret_basic).
const (
	serviceSecret = "interop-service-secret-0123456789"
	webSecret     = "interop-web-secret-0123456789abcd"
)

// serverYAML is the test server's configuration, read as portcullis serve
// reads its file; %[1]s is the issuer, %[2]s the web client's redirect
// URI, %[3]s the nonce mode.
const serverYAML = `
issuer: %[1]s
listen: 127.0.0.1:0
storage: sqlite://portcullis.db
allow_insecure_localhost: true
dpop:
  nonce: %[3]s
apis:
  - identifier: https://api.example.com
    scopes: [list:users]
clients:
  - client_id: interop-service
    client_secret: ` + serviceSecret + `
    grant_types: [client_credentials]
    scopes: [list:users]
  - client_id: interop-web
    client_secret: ` + webSecret + `
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [%[2]s]
    scopes: [openid, profile, offline_access]
    skip_consent: true
`

// server starts the real authorization server with server nonces
// "required" or "off", configured from YAML through package config.
func server(t *testing.T, nonce string) *authservertest.Server {
	t.Helper()
	return authservertest.New(t, func(c *authserver.Config) {
		// authservertest's own web client redirects to its App, where
		// the test's browser stops.
		redirect := c.Clients[slices.IndexFunc(c.Clients, func(cl store.Client) bool { return len(cl.RedirectURIs) > 0 })].RedirectURIs[0]
		doc := fmt.Sprintf(serverYAML, c.Issuer, redirect, nonce)
		parsed, err := config.Parse([]byte(doc), t.TempDir(), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("the configuration (dpop needs the server's DPoP support): %v", err)
		}
		*c = parsed.AuthServer()
	})
}

// helper is a running client.mjs.
type helper struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr strings.Builder
}

func startHelper(t *testing.T, args ...string) *helper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	h := &helper{t: t, cmd: exec.CommandContext(ctx, node(t), append([]string{"client.mjs"}, args...)...)}
	h.cmd.Dir = nodeDir
	h.cmd.Stderr = &h.stderr
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if h.stdin, err = h.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	h.out = bufio.NewScanner(stdout)
	h.out.Buffer(nil, 1<<20)
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.cmd.Process.Kill(); h.cmd.Wait() })
	return h
}

// read decodes the helper's next line of output into v.
func (h *helper) read(v any) {
	h.t.Helper()
	if !h.out.Scan() {
		h.cmd.Wait()
		h.t.Fatalf("oauth4webapi helper ended: %s", h.stderr.String())
	}
	if err := json.Unmarshal(h.out.Bytes(), v); err != nil {
		h.t.Fatalf("oauth4webapi helper printed %q: %v", h.out.Text(), err)
	}
}

// result is what the helper reports at the end.
type result struct {
	TokenType   string   `json:"token_type"`
	AccessToken string   `json:"access_token"`
	CnfJKT      string   `json:"cnf_jkt"`
	JKT         string   `json:"jkt"`
	Algs        []string `json:"dpop_signing_alg_values_supported"`
	Retries     int      `json:"nonce_retries"`
	// Of the code flow.
	Sub             string `json:"sub"`
	UserinfoSub     string `json:"userinfo_sub"`
	RefreshedType   string `json:"refreshed_token_type"`
	RefreshedCnfJKT string `json:"refreshed_cnf_jkt"`
}

// check asserts what every run of the helper must show: a DPoP token
// bound to the helper's own key, computed by oauth4webapi, and nonce
// retries exactly when the server requires nonces.
func (r result) check(t *testing.T, nonce string) {
	t.Helper()
	if !strings.EqualFold(r.TokenType, "DPoP") {
		t.Errorf("token_type %q, want DPoP", r.TokenType)
	}
	if r.JKT == "" || r.CnfJKT != r.JKT {
		t.Errorf("the token's cnf.jkt %q is not oauth4webapi's key thumbprint %q", r.CnfJKT, r.JKT)
	}
	if !slices.Contains(r.Algs, "ES256") || slices.Contains(r.Algs, "none") {
		t.Errorf("dpop_signing_alg_values_supported %v", r.Algs)
	}
	if (nonce == "required") != (r.Retries > 0) {
		t.Errorf("%d requests retried with a nonce under nonce: %s", r.Retries, nonce)
	}
}

func TestOAuth4WebAPIClientCredentials(t *testing.T) {
	for _, nonce := range []string{"off", "required"} {
		t.Run("nonce "+nonce, func(t *testing.T) {
			node(t)
			as := server(t, nonce)
			h := startHelper(t, "client_credentials", as.URL, "interop-service", serviceSecret)
			var r result
			h.read(&r)
			r.check(t, nonce)
			// The server's own view of the token.
			info := introspect(t, as, r.AccessToken)
			cnf, _ := info["cnf"].(map[string]any)
			if info["active"] != true || info["token_type"] != "DPoP" || cnf["jkt"] != r.JKT {
				t.Errorf("introspection: active %v, token_type %v, cnf %v; want an active DPoP token bound to %s", info["active"], info["token_type"], cnf, r.JKT)
			}
		})
	}
}

// The authorization code flow with dpop_jkt, userinfo with the DPoP
// scheme, and a refresh, each with oauth4webapi's proofs.
func TestOAuth4WebAPIAuthorizationCode(t *testing.T) {
	for _, nonce := range []string{"off", "required"} {
		t.Run("nonce "+nonce, func(t *testing.T) {
			node(t)
			as := server(t, nonce)
			h := startHelper(t, "authorization_code", as.URL, "interop-web", webSecret, as.RedirectURI)
			var start struct {
				URL string `json:"authorization_url"`
			}
			h.read(&start)
			callback := authservertest.SignIn(t, as.URL, start.URL, as.RedirectURI, as.Username, as.Password).String()
			fmt.Fprintln(h.stdin, callback)
			var r result
			h.read(&r)
			r.check(t, nonce)
			if r.Sub == "" || r.UserinfoSub != r.Sub {
				t.Errorf("userinfo sub %q, ID token sub %q", r.UserinfoSub, r.Sub)
			}
			if !strings.EqualFold(r.RefreshedType, "DPoP") || r.RefreshedCnfJKT != r.JKT {
				t.Errorf("refreshed: token_type %q, cnf.jkt %q; want DPoP bound to %s", r.RefreshedType, r.RefreshedCnfJKT, r.JKT)
			}
		})
	}
}

// introspect asks the server about token as the service client.
func introspect(t *testing.T, as *authservertest.Server, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, as.URL+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("interop-service", serviceSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %d %v", resp.StatusCode, err)
	}
	return out
}
