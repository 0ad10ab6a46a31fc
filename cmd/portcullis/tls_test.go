package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// TestServeTLS runs serve with tls on the server, the gateway and the
// agent, each with its own certificate from a CA made here. The gateway
// and the agent read the issuer's discovery over TLS (the process trusts
// the CA through SSL_CERT_FILE); a client trusting that CA alone reaches
// each listener over HTTP/2 on TLS 1.2 or later, TLS 1.1 is refused, and
// the server's certificate replaced on disk is served without a restart.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t)
	caFile := filepath.Join(dir, "ca.pem")
	tlstest.WriteFile(t, caFile, ca.PEM())
	for _, name := range []string{"server", "gateway", "agent"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		ca.WriteLeaf(t, filepath.Join(dir, name), name)
	}
	port, gwPort, agPort := freePort(t), freePort(t), freePort(t)
	issuer := fmt.Sprintf("https://127.0.0.1:%d", port)
	conf := filepath.Join(dir, "portcullis.yaml")
	os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://portcullis.db
tls: {cert_file: server/cert.pem, key_file: server/key.pem}
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
clients:
  - client_id: spa-agent
    client_secret: agent-secret-with-at-least-32-characters
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [https://127.0.0.1:%[4]d/callback]
    scopes: [openid]
gateway:
  listen: 127.0.0.1:%[3]d
  tls: {cert_file: gateway/cert.pem, key_file: gateway/key.pem}
  issuer: %[1]s
  audience: https://api.example.com
  routes: [{path: /users, upstream: "http://127.0.0.1:9"}]
oauth_agent:
  listen: 127.0.0.1:%[4]d
  tls: {cert_file: agent/cert.pem, key_file: agent/key.pem}
  issuer: %[1]s
  client_id: spa-agent
  client_secret: agent-secret-with-at-least-32-characters
  redirect_uri: https://127.0.0.1:%[4]d/callback
  trusted_web_origins: [https://127.0.0.1:%[4]d]
  cookie_encryption_key: %[5]s
`, issuer, port, gwPort, agPort, strings.Repeat("ab", 32)), 0o600)
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile)
	var logs bytes.Buffer
	srv.Stderr = &logs // read only after Wait
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stopped := false
	stop := func() string {
		if !stopped {
			stopped = true
			srv.Process.Kill()
			<-exited
		}
		return logs.String()
	}
	t.Cleanup(func() {
		if out := stop(); t.Failed() {
			t.Logf("server log:\n%s", out)
		}
	})

	// get connects afresh, so that each call is a new handshake.
	get := func(url string) (*http.Response, error) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}, ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	// The gateway and the agent start after the server, once they have
	// read its discovery document.
	agentURL := fmt.Sprintf("https://127.0.0.1:%d/oauth-agent/session", agPort)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := get(agentURL); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("agent not serving: %v", err)
		}
	}

	tests := []struct {
		name, url, wantCN string
		wantStatus        int
	}{
		{"server", issuer + "/healthz", "server", http.StatusOK},
		{"gateway", fmt.Sprintf("https://127.0.0.1:%d/users", gwPort), "gateway", http.StatusUnauthorized},
		{"agent", agentURL, "agent", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantStatus != 0 && resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if resp.ProtoMajor != 2 || resp.TLS.Version < tls.VersionTLS12 {
				t.Errorf("served over %s, TLS %x; want HTTP/2 over TLS 1.2 or later", resp.Proto, resp.TLS.Version)
			}
			if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != tt.wantCN {
				t.Errorf("certificate %q, want %q", cn, tt.wantCN)
			}
			addr := strings.Split(strings.TrimPrefix(tt.url, "https://"), "/")[0]
			if c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool, MaxVersion: tls.VersionTLS11}); err == nil {
				c.Close()
				t.Error("a TLS 1.1 handshake succeeded")
			}
		})
	}

	// A renewal replaces the files; the next handshakes, within seconds,
	// get the new certificate from the same process.
	ca.WriteLeaf(t, filepath.Join(dir, "server"), "server renewed")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := get(issuer + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		if resp.TLS.PeerCertificates[0].Subject.CommonName == "server renewed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the renewed certificate was not served")
		}
	}
	if out := stop(); !strings.Contains(out, "TLS certificate reloaded") {
		t.Errorf("no reload logged:\n%s", out)
	}
}
