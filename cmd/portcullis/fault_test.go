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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2/clientcredentials"
)

// TestFaultServeWithoutRedis starts serve, with a gateway, while nothing
// listens at its Redis address: it starts, /readyz is 200 with "redis":
// "degraded", and the log holds JSON lines only, a few about Redis
// however long the outage. Then Redis appears at the address: /readyz says
// "ok" without a restart and revocations reach the gateway through Redis
// notices again, well within the gateway's 30 s poll interval.
func TestFaultServeWithoutRedis(t *testing.T) {
	target := os.Getenv("PORTCULLIS_TEST_REDIS")
	if target == "" {
		t.Skip("PORTCULLIS_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0); skipping the Redis fault test")
	}
	opts, err := redis.ParseURL(target)
	if err != nil {
		t.Fatalf("PORTCULLIS_TEST_REDIS: %v", err)
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer upstream.Close()
	dir := t.TempDir()
	port, gwPort, redisPort := freePort(t), freePort(t), freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	redisAddr := fmt.Sprintf("127.0.0.1:%d", redisPort)
	conf := filepath.Join(dir, "portcullis.yaml")
	os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://portcullis.db
redis: redis://%[5]s/%[6]d
apis:
  - identifier: https://api.example.com
    scopes: [list:users]
clients:
  - client_id: svc
    client_secret: ${SVC_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users]
gateway:
  listen: 127.0.0.1:%[3]d
  issuer: %[1]s
  audience: https://api.example.com
  routes:
    - path: /users
      methods: [GET]
      upstream: %[4]s
      scopes: [list:users]
`, issuer, port, gwPort, upstream.URL, redisAddr, opts.DB), 0o600)
	secret := "svc-secret-with-at-least-32-characters!"
	env := []string{"SVC_SECRET=" + secret}
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), env...)
	logs := captureLog(t, srv)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitReady(t, issuer)
	if code, ready := readyz(t, issuer); code != http.StatusOK || ready["redis"] != "degraded" {
		t.Fatalf("readyz without Redis = %d %v, want 200 with redis degraded", code, ready)
	}

	gw := fmt.Sprintf("http://127.0.0.1:%d", gwPort)
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: secret, TokenURL: issuer + "/token"}
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
	token := func() string {
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	// The gateway serves during the outage.
	if code := call(token()); code != http.StatusOK {
		t.Fatalf("gateway during the outage: %d, want 200", code)
	}
	// Let the outage last a few of the client's probes, to count what
	// they log.
	time.Sleep(3 * time.Second)
	outage := logs.lines()

	startProxy(t, redisAddr, opts.Addr)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, ready := readyz(t, issuer); ready["redis"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz does not report Redis ok after it came back")
		}
	}
	// Twice: the first revocation may be seen through the refresh that
	// comes with subscribing again; the second only through a notice.
	for round := range 2 {
		tok := token()
		if code := call(tok); code != http.StatusOK {
			t.Fatalf("round %d: gateway before the revocation: %d, want 200", round, code)
		}
		cli(t, env, "tokens", "revoke", "--config", conf, "--client", "svc", "--reason", "test")
		for deadline := time.Now().Add(10 * time.Second); call(tok) != http.StatusUnauthorized; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the gateway accepts a revoked token 10 s on: revocation notices do not flow after Redis came back", round)
			}
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}

	about := 0
	for _, l := range outage {
		if strings.Contains(strings.ToLower(l), "redis") {
			about++
		}
	}
	// The outage, and one line for each kind of go-redis message.
	if about > 3 {
		t.Errorf("%d log lines about Redis in a 3 s outage, want at most 3:\n%s", about, strings.Join(outage, "\n"))
	}
	for _, l := range logs.lines() {
		if !json.Valid([]byte(l)) {
			t.Errorf("a log line is not JSON: %q", l)
		}
	}
}

// readyz returns the status and answer of GET /readyz.
func readyz(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, decodeReady(resp)
}

// processLog collects a process's standard error, line by line.
type processLog struct {
	mu  sync.Mutex
	all []string
}

// captureLog collects cmd's standard error; call it before cmd.Start.
func captureLog(t *testing.T, cmd *exec.Cmd) *processLog {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := &processLog{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			l.mu.Lock()
			l.all = append(l.all, sc.Text())
			l.mu.Unlock()
		}
	}()
	return l
}

// lines returns the lines collected so far.
func (l *processLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

// startProxy listens on addr, where nothing listened, and forwards each
// connection to target until the test ends: a Redis that appears.
func startProxy(t *testing.T, addr, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}
