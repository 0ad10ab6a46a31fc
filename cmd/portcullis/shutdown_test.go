package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaultSIGTERMDrains stops serve with SIGTERM while a slow upload to
// /token is in flight: /readyz answers 503 for shutdown_delay while
// /healthz and new token requests still succeed, then the listener
// closes; the upload completes if it ends within shutdown_grace and is cut
// otherwise, and either way the process exits with status 0.
func TestFaultSIGTERMDrains(t *testing.T) {
	tests := []struct {
		name   string
		grace  string
		finish bool // the upload's body is completed once the listener is closed
	}{
		{"upload within the grace completes", "30s", true},
		{"upload beyond the grace is cut", "1s", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			port, opsPort := freePort(t), freePort(t)
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			ops := fmt.Sprintf("http://127.0.0.1:%d", opsPort)
			secret := "drain-secret-with-at-least-32-characters"
			conf := filepath.Join(dir, "portcullis.yaml")
			os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %s
listen: 127.0.0.1:%d
ops_listen: 127.0.0.1:%d
storage: sqlite://portcullis.db
shutdown_delay: 2s
shutdown_grace: %s
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
clients:
  - client_id: load
    client_secret: %s
    grant_types: [client_credentials]
    scopes: [list:users]
`, base, port, opsPort, tt.grace, secret), 0o600)
			srv := exec.Command(binary, "serve", "--config", conf)
			var logs bytes.Buffer
			srv.Stderr = &logs // read only after Wait
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- srv.Wait() }()
			t.Cleanup(func() {
				srv.Process.Kill()
				<-exited
				if t.Failed() {
					// Why a server never became ready, say.
					t.Logf("server log:\n%s", logs.String())
				}
			})
			waitReady(t, base)

			tokenRequest := func() int {
				req, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader("grant_type=client_credentials"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth("load", secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return 0
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			status := func(u string) int {
				resp, err := http.Get(u)
				if err != nil {
					return 0
				}
				resp.Body.Close()
				return resp.StatusCode
			}

			// The upload sends its headers and half its body, then waits.
			body := "grant_type=client_credentials"
			upload, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer upload.Close()
			fmt.Fprintf(upload, "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"+
				"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
				basicAuth("load", secret), len(body), body[:11])

			srv.Process.Signal(syscall.SIGTERM)
			// Within the delay: not ready, yet serving.
			waitUntil(t, "/readyz to answer 503", func() bool { return status(ops+"/readyz") == http.StatusServiceUnavailable })
			if got := status(base + "/readyz"); got != http.StatusServiceUnavailable {
				t.Fatalf("public /readyz while draining: %d, want 503", got)
			}
			if got := status(ops + "/healthz"); got != http.StatusOK {
				t.Fatalf("/healthz while draining: %d, want 200", got)
			}
			if got := tokenRequest(); got != http.StatusOK {
				t.Fatalf("token request while draining: %d, want 200", got)
			}
			// Then the listener closes.
			waitUntil(t, "the listener to close", func() bool {
				c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err == nil {
					c.Close()
				}
				return err != nil
			})
			if tt.finish {
				io.WriteString(upload, body[11:])
				upload.SetReadDeadline(time.Now().Add(20 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(upload), nil)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("the upload in flight at SIGTERM: %v %v", resp, err)
				}
				resp.Body.Close()
			}
			select {
			case err := <-exited:
				exited <- err // for the cleanup
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
				}
			case <-time.After(45 * time.Second):
				t.Fatal("serve did not exit after SIGTERM")
			}
			cut := strings.Contains(logs.String(), "cut 1 connections")
			if cut == tt.finish {
				t.Fatalf("log says cut: %v, want %v:\n%s", cut, !tt.finish, logs.String())
			}
		})
	}
}

// basicAuth is the credentials of an Authorization: Basic header (RFC 7617).
func basicAuth(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

// waitUntil polls ok for at most twenty seconds.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waiting for %s", what)
}
