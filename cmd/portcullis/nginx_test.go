package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// nginxExample is the README's nginx block, the one after the comment
// naming this test, so that the two cannot drift.
func nginxExample(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- tested by TestNginxExample")
	if !ok {
		t.Fatal("README.md has no block marked for TestNginxExample")
	}
	_, rest, ok = strings.Cut(rest, "```nginx\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("README.md: no ```nginx block after the TestNginxExample comment")
	}
	return block
}

// replaceOnce replaces old in s and fails if s does not hold it exactly
// once: the README changed and this test must follow.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("README's nginx block holds %q %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// TestNginxExample runs the README's nginx configuration, as written but
// for its ports and file names, with Debian's nginx in front of serve:
// discovery and a token pass through it over HTTP/2 on TLS, and a refused
// client authentication is audited with the client's own address (nginx
// sees the client at 127.0.0.2), not the one it forged in X-Forwarded-For.
func TestNginxExample(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx is not installed (apt-get install nginx): the README's nginx example is not tested")
		}
		nginx = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	ca := tlstest.NewCA(t)
	certFile, keyFile := ca.WriteLeaf(t, dir, "proxy")
	port, proxyPort := freePort(t), freePort(t)
	issuer := fmt.Sprintf("https://127.0.0.1:%d", proxyPort)
	secret := "proxy-secret-with-at-least-32-characters"
	conf := filepath.Join(dir, "portcullis.yaml")
	os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %s
listen: 127.0.0.1:%d
storage: sqlite://portcullis.db
trusted_proxies: [127.0.0.1]
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
clients:
  - client_id: behind-proxy
    client_secret: %s
    grant_types: [client_credentials]
    scopes: [list:users]
`, issuer, port, secret), 0o600)
	startProcess(t, exec.Command(binary, "serve", "--config", conf))

	site := nginxExample(t)
	site = replaceOnce(t, site, "server 127.0.0.1:8080;", fmt.Sprintf("server 127.0.0.1:%d;", port))
	site = replaceOnce(t, site, "listen 443 ", fmt.Sprintf("listen 127.0.0.1:%d ", proxyPort))
	site = replaceOnce(t, site, "/etc/letsencrypt/live/id.example.com/fullchain.pem", certFile)
	site = replaceOnce(t, site, "/etc/letsencrypt/live/id.example.com/privkey.pem", keyFile)
	os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o600)
	// The main file holds only what running unprivileged in a test
	// folder needs; the site is the README's.
	main := filepath.Join(dir, "nginx.conf")
	os.WriteFile(main, []byte(strings.ReplaceAll(`daemon off;
master_process off;
pid DIR/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path DIR/body;
    proxy_temp_path DIR/proxy;
    fastcgi_temp_path DIR/fastcgi;
    uwsgi_temp_path DIR/uwsgi;
    scgi_temp_path DIR/scgi;
    include DIR/site.conf;
}
`, "DIR", dir)), 0o600)
	if out, err := exec.Command(nginx, "-t", "-e", "stderr", "-p", dir, "-c", main).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	startProcess(t, exec.Command(nginx, "-e", "stderr", "-p", dir, "-c", main))

	// The client connects from 127.0.0.2, an address that is not a
	// trusted proxy, and trusts the test CA alone.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:       dialer.DialContext,
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool},
		ForceAttemptHTTP2: true,
	}}
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err = client.Get(issuer + "/.well-known/openid-configuration"); err == nil && resp.StatusCode == http.StatusOK {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("discovery through nginx: %v %v", resp, err)
		}
	}
	var disc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || disc.Issuer != issuer || disc.TokenEndpoint != issuer+"/token" {
		t.Errorf("discovery over %s: issuer %q, token_endpoint %q", resp.Proto, disc.Issuer, disc.TokenEndpoint)
	}

	tokenRequest := func(secret string) int {
		form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://api.example.com"}}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, disc.TokenEndpoint, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.SetBasicAuth("behind-proxy", secret)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := tokenRequest(secret); code != http.StatusOK {
		t.Errorf("token through nginx: %d", code)
	}
	if code := tokenRequest(strings.Repeat("x", len(secret))); code != http.StatusUnauthorized {
		t.Errorf("wrong secret through nginx: %d, want 401", code)
	}
	// The recorder stores events in batches: wait for it.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out := cli(t, nil, "audit", "list", "--config", conf, "--type", "client_auth_failed", "--json")
		if strings.Contains(out, "203.0.113.9") {
			t.Fatalf("the forged address was believed:\n%s", out)
		}
		if strings.Contains(out, `"127.0.0.2"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no client_auth_failed event from 127.0.0.2:\n%s", out)
		}
	}
}

// startProcess starts cmd until the test ends, logging its output if the
// test failed.
func startProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out // read only after Wait
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(cmd.Path), out.String())
		}
	})
}
