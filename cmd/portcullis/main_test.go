package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/dpop"
)

// binary is the portcullis command built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portcullis-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "portcullis")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build portcullis: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func cli(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("portcullis %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestServeWithCLI runs the configuration in a real process, gets
// tokens with golang.org/x/oauth2 and changes state with the CLI while the
// server runs, then stops it with SIGTERM.
func TestServeWithCLI(t *testing.T) {
	dir := t.TempDir()
	port, opsPort := freePort(t), freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	ops := fmt.Sprintf("http://127.0.0.1:%d", opsPort)
	doc, err := os.ReadFile("../../config/testdata/issue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "portcullis.yaml")
	doc = []byte(strings.ReplaceAll(string(doc), "127.0.0.1:8080", fmt.Sprintf("127.0.0.1:%d", port)))
	doc = fmt.Appendf(doc, "ops_listen: 127.0.0.1:%d\nshutdown_delay: 100ms\n", opsPort)
	os.WriteFile(conf, doc, 0o600)
	secret := "reporting-secret-with-at-least-32-chars"
	env := []string{"REPORTING_SECRET=" + secret}

	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), env...)
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs <- sc.Text()
		}
		close(logs)
	}()
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitReady(t, issuer)

	ctx := context.Background()
	cc := clientcredentials.Config{ClientID: "reporting-service", ClientSecret: secret, TokenURL: issuer + "/token"}
	reporting, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("token for the configured client: %v", err)
	}

	// A client created by the CLI works at once against the running server,
	// with the settings it was created with.
	var created struct {
		ClientID        string `json:"client_id"`
		ClientSecret    string `json:"client_secret"`
		DefaultAudience string `json:"default_audience"`
		Introspect      string `json:"introspect"`
	}
	out := cli(t, env, "clients", "create", "--config", conf, "--id", "batch", "--scopes", "read:users",
		"--default-audience", "all", "--introspect-any", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || len(created.ClientSecret) != 43 || created.DefaultAudience != "all" || created.Introspect != "any" {
		t.Fatalf("clients create: %q", out)
	}
	cc2 := clientcredentials.Config{ClientID: "batch", ClientSecret: created.ClientSecret, TokenURL: issuer + "/token"}
	if _, err := cc2.Token(ctx); err != nil {
		t.Fatalf("token for the CLI-created client: %v", err)
	}
	var intro struct {
		Active bool `json:"active"`
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, issuer+"/introspect", strings.NewReader("token="+reporting.AccessToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("batch", created.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&intro)
	resp.Body.Close()
	if !intro.Active {
		t.Fatal("a client created with --introspect-any cannot introspect another client's token")
	}
	// A client created with --dpop-bound-access-tokens gets tokens only
	// with a DPoP proof.
	var bound struct {
		ClientSecret string `json:"client_secret"`
		DPoP         bool   `json:"dpop_bound_access_tokens"`
	}
	out = cli(t, env, "clients", "create", "--config", conf, "--id", "bound", "--scopes", "read:users", "--dpop-bound-access-tokens", "--json")
	if err := json.Unmarshal([]byte(out), &bound); err != nil || !bound.DPoP {
		t.Fatalf("clients create --dpop-bound-access-tokens: %q", out)
	}
	cc3 := clientcredentials.Config{ClientID: "bound", ClientSecret: bound.ClientSecret, TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader}
	if _, err := cc3.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_dpop_proof") {
		t.Fatalf("token without a proof for a dpop_bound_access_tokens client: %v", err)
	}
	proofKey, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := cc3.Token(context.WithValue(ctx, oauth2.HTTPClient, dpop.HTTPClient(proofKey, nil))); err != nil || tok.TokenType != "DPoP" {
		t.Fatalf("token with a proof for a dpop_bound_access_tokens client: %+v, %v", tok, err)
	}
	if out := cli(t, env, "clients", "list", "--config", conf); !strings.Contains(out, "batch") || !strings.Contains(out, "reporting-service") || strings.Contains(out, created.ClientSecret) {
		t.Fatalf("clients list:\n%s", out)
	}
	cli(t, env, "clients", "delete", "--config", conf, "batch")
	if _, err := cc2.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("token for a deleted client: %v", err)
	}

	// A rotated key is published by the running server before it signs.
	var key struct {
		KID   string `json:"kid"`
		State string `json:"state"`
	}
	if err := json.Unmarshal([]byte(cli(t, env, "keys", "rotate", "--config", conf, "--json")), &key); err != nil {
		t.Fatal(err)
	}
	if out := cli(t, env, "keys", "list", "--config", conf); !strings.Contains(out, key.KID) || !strings.Contains(out, "pending") {
		t.Fatalf("keys list:\n%s", out)
	}
	if out := cli(t, env, "version"); !strings.HasPrefix(out, "portcullis ") {
		t.Fatalf("version: %q", out)
	}
	if out := cli(t, env, "migrate", "status", "--config", conf); !strings.Contains(out, "up to date") {
		t.Fatalf("migrate status: %q", out)
	}

	// The audit trail holds the CLI's changes and the server's events.
	var events []struct {
		Type     string
		ClientID string
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		json.Unmarshal([]byte(cli(t, env, "audit", "list", "--config", conf, "--json")), &events)
		types := map[string]bool{}
		for _, e := range events {
			types[e.Type] = true
		}
		if types["config_changed"] && types["key_rotated"] && types["token_issued"] && types["client_auth_failed"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit trail lacks events: %+v", events)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out := cli(t, env, "audit", "list", "--config", conf, "--client", "batch", "--type", "config_changed"); strings.Count(out, "config_changed") != 2 {
		t.Fatalf("audit list --client batch: %s", out)
	}
	if out := cli(t, env, "tokens", "revoke", "--config", conf, "--client", "reporting-service", "--reason", "test"); !strings.Contains(out, "revoked 0 grants and every access token issued before") {
		t.Fatalf("tokens revoke: %q", out)
	}

	// Operations: health and readiness on both listeners, metrics only on
	// the operations listener.
	for _, u := range []string{issuer + "/healthz", issuer + "/readyz", ops + "/healthz", ops + "/readyz"} {
		if resp, err := http.Get(u); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", u, resp, err)
		}
	}
	if resp, err := http.Get(issuer + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public listener: %v %v; want 404", resp, err)
	}
	if resp, err := http.Get(ops + "/token"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /token on the operations listener: %v %v; want 404", resp, err)
	}
	resp, err = http.Get(ops + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`portcullis_tokens_issued_total{client_id="reporting-service",grant_type="client_credentials"} 1`,
		`portcullis_oauth_errors_total{endpoint="POST /token",error="invalid_client"} 1`,
		`portcullis_http_request_duration_seconds_count{endpoint="POST /token",method="POST",status="200"}`,
		`portcullis_store_connections_in_use`,
		`portcullis_store_operation_duration_seconds_count{operation="get_client"}`,
	} {
		if !strings.Contains(string(m), want) {
			t.Fatalf("metrics lack %s", want)
		}
	}

	// SIGTERM drains and exits cleanly.
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	requestIDs := 0
	for line := range logs {
		if strings.Contains(line, secret) || strings.Contains(line, created.ClientSecret) {
			t.Fatalf("a secret reached the log: %s", line)
		}
		if strings.Contains(line, `"request_id":"`) {
			requestIDs++
		}
	}
	if requestIDs == 0 {
		t.Fatal("no log line carries a request_id")
	}
}

// redisLine configures the Redis of PORTCULLIS_TEST_REDIS, if set.
func redisLine() string {
	if u := os.Getenv("PORTCULLIS_TEST_REDIS"); u != "" {
		return "redis: " + u
	}
	return ""
}

func waitReady(t *testing.T, issuer string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			// The main listener answers before the process's other
			// listeners listen; /readyz says "starting" until they do.
			if resp.StatusCode == http.StatusOK && !starting(issuer) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s not ready", issuer)
}

// starting reports whether the server's /readyz says it is starting.
func starting(base string) bool {
	resp, err := http.Get(base + "/readyz")
	return err != nil || decodeReady(resp)["status"] == "starting"
}

func TestCLIErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"serve without config or dev", []string{"serve"}, "no configuration file: pass --config FILE, set $PORTCULLIS_CONFIG, or create ./portcullis.yaml"},
		{"serve with config and dev", []string{"serve", "--dev", "--config", "x.yaml"}, "--config FILE or --dev, not both"},
		{"missing config file", []string{"serve", "--config", "/nonexistent.yaml"}, "no such file"},
		{"clients without --config", []string{"clients", "list"}, "no configuration file: pass --config FILE, set $PORTCULLIS_CONFIG"},
		{"tokens revoke without a target", []string{"tokens", "revoke", "--config", "x.yaml"}, "needs --subject or --client"},
		{"tokens revoke without a reason", []string{"tokens", "revoke", "--config", "x.yaml", "--client", "c"}, "needs --reason"},
		{"audit list with a bad --since", []string{"audit", "list", "--config", "../../config/testdata/issue.yaml", "--since", "yesterday"}, "want an RFC 3339 time or a duration"},
		{"anomalies with a bad --since", []string{"anomalies", "--config", "../../config/testdata/issue.yaml", "--since", "yesterday"}, "want an RFC 3339 time or a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = append(os.Environ(), envConfig+"=")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tt.want) {
				t.Fatalf("got %v %q, want a failure saying %q", err, out, tt.want)
			}
		})
	}
}

// TestDev runs the README's first command: the demo stack, whose printed
// credentials get a token, whose app is served, whose agent starts a
// sign-in and whose upstream identity provider signs a user in. It needs the stack's fixed loopback ports.
func TestDev(t *testing.T) {
	banner, srv := startDev(t)
	var secret string
	for _, line := range strings.Split(banner, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "service client  demo-client, secret "); ok {
			secret = rest
		}
	}
	waitReady(t, "http://127.0.0.1:8080")
	if resp, err := http.Get("http://127.0.0.1:8080/readyz"); err != nil || decodeReady(resp)["keys_at_rest"] != "encrypted" {
		t.Fatalf("the demo stack does not encrypt its signing keys: %v", err)
	}
	cc := clientcredentials.Config{ClientID: "demo-client", ClientSecret: secret, TokenURL: "http://127.0.0.1:8080/token"}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("token with the printed demo credentials: %v", err)
	}
	tryDevDPoP(t, banner)
	tryDevAdmin(t, banner)
	tryDevUpstream(t, banner)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:3000/")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the example app is not served: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8081/oauth-agent/login/start", nil)
	req.Header.Set("Origin", "http://127.0.0.1:3000")
	req.Header.Set("Token-Handler-Version", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var start struct{ AuthorizationRequestURL string }
	json.NewDecoder(resp.Body).Decode(&start)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(start.AuthorizationRequestURL, "http://127.0.0.1:8080/authorize?") {
		t.Fatalf("agent login/start: %d %+v", resp.StatusCode, start)
	}
	if resp, err := http.Get("http://127.0.0.1:9090/metrics"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics on the operations listener: %v %v", resp, err)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// TestServeWithGateway runs the server and the gateway of one configuration
// in one process, in front of a real upstream.
func TestServeWithGateway(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "subject=%s scope=%s", r.Header.Get("X-Portcullis-Subject"), r.Header.Get("X-Portcullis-Scope"))
	}))
	defer upstream.Close()
	dir := t.TempDir()
	port, gwPort := freePort(t), freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	conf := filepath.Join(dir, "portcullis.yaml")
	os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://portcullis.db
shutdown_delay: 100ms
apis:
  - identifier: https://api.example.com
    scopes: [list:users, read:users]
clients:
  - client_id: svc
    client_secret: ${SVC_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users]
%[5]s
gateway:
  listen: 127.0.0.1:%[3]d
  issuer: %[1]s
  audience: https://api.example.com
  routes:
    - path: /users
      methods: [GET]
      upstream: %[4]s
      scopes: [list:users]
`, issuer, port, gwPort, upstream.URL, redisLine()), 0o600)
	secret := "svc-secret-with-at-least-32-characters!"
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), "SVC_SECRET="+secret)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitReady(t, issuer)
	gw := fmt.Sprintf("http://127.0.0.1:%d", gwPort)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(gw + "/users")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("gateway without a token: %d, want 401", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not listening: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: secret, TokenURL: issuer + "/token"}
	resp, err := cc.Client(context.Background()).Get(gw + "/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "subject=svc scope=list:users" {
		t.Fatalf("gateway with a token: %d %q", resp.StatusCode, body)
	}

	// Revoking everything of the client reaches its client credentials
	// token within the revocation bound: at once with Redis, at the
	// gateway's next poll (30 s) without. A token issued afterwards works.
	old, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cli(t, []string{"SVC_SECRET=" + secret}, "tokens", "revoke", "--config", conf, "--client", "svc", "--reason", "test")
	fresh, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	call := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, gw+"/users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for deadline := time.Now().Add(45 * time.Second); call(old.AccessToken) != http.StatusUnauthorized; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gateway still accepts a token of a client whose tokens were all revoked")
		}
	}
	if code := call(fresh.AccessToken); code != http.StatusOK {
		t.Fatalf("token issued after the revocation: %d, want 200", code)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
