package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"
)

// agentYAML is an oauth_agent section for issuer on port, with clientID
// and redirectURI.
func agentYAML(issuer string, port int, clientID, redirectURI string) string {
	return fmt.Sprintf(`oauth_agent:
  listen: 127.0.0.1:%d
  issuer: %s
  client_id: %s
  client_secret: agent-secret-with-at-least-32-characters
  redirect_uri: %s
  trusted_web_origins: [http://127.0.0.1:3000]
  cookie_encryption_key: %s
`, port, issuer, clientID, redirectURI, strings.Repeat("ab", 32))
}

// startServe runs portcullis serve with the configuration doc, killed
// when the test ends.
func startServe(t *testing.T, doc string) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "portcullis.yaml")
	if err := os.WriteFile(conf, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
}

// status GETs url and returns the status and Retry-After, or 0 while
// nothing listens there.
func status(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestStartBeforeIssuer runs a process whose gateway and agent use an
// issuer in a second process that starts later: the first process starts
// anyway, its gateway answers 503 with Retry-After and both /readyz fail
// while /healthz answers; once the issuer is up, the gateway lets a token
// of it through and both are ready, without a restart.
func TestStartBeforeIssuer(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("X-Portcullis-Subject"))
	}))
	defer upstream.Close()
	port, gwPort, agPort, issPort := freePort(t), freePort(t), freePort(t), freePort(t)
	late := fmt.Sprintf("http://127.0.0.1:%d", issPort)
	front := fmt.Sprintf("http://127.0.0.1:%d", port)
	startServe(t, fmt.Sprintf(`
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://%[5]s/front.db
gateway:
  listen: 127.0.0.1:%[3]d
  issuer: %[4]s
  audience: https://api.example.com
  routes:
    - path: /users
      upstream: %[6]s
`, front, port, gwPort, late, t.TempDir(), upstream.URL)+agentYAML(late, agPort, "spa-agent", "http://127.0.0.1:3000/"))
	waitReady(t, front)
	gw, ag := fmt.Sprintf("http://127.0.0.1:%d", gwPort), fmt.Sprintf("http://127.0.0.1:%d", agPort)
	waitUntil(t, "the gateway and the agent to listen", func() bool {
		g, _ := status(gw + "/healthz")
		a, _ := status(ag + "/healthz")
		return g == http.StatusOK && a == http.StatusOK
	})
	tests := []struct {
		name       string
		url        string
		status     int
		retryAfter bool
	}{
		{name: "gateway route", url: gw + "/users", status: http.StatusServiceUnavailable, retryAfter: true},
		{name: "gateway readyz", url: gw + "/readyz", status: http.StatusServiceUnavailable},
		{name: "agent readyz", url: ag + "/readyz", status: http.StatusServiceUnavailable},
		{name: "agent endpoint", url: ag + "/oauth-agent/claims", status: http.StatusServiceUnavailable, retryAfter: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, retry := status(tt.url)
			if code != tt.status {
				t.Fatalf("status %d, want %d", code, tt.status)
			}
			if s, err := strconv.Atoi(retry); tt.retryAfter && (err != nil || s < 1) {
				t.Errorf("Retry-After %q, want whole seconds", retry)
			}
		})
	}

	secret := "svc-secret-with-at-least-32-characters!"
	t.Setenv("SVC_SECRET", secret)
	startServe(t, fmt.Sprintf(`
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://%[3]s/late.db
apis:
  - identifier: https://api.example.com
    scopes: [list:users]
clients:
  - client_id: svc
    client_secret: ${SVC_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users]
`, late, issPort, t.TempDir()))
	waitReady(t, late)
	waitUntil(t, "the gateway and the agent to be ready", func() bool {
		g, _ := status(gw + "/readyz")
		a, _ := status(ag + "/readyz")
		return g == http.StatusOK && a == http.StatusOK
	})
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: secret, TokenURL: late + "/token"}
	resp, err := cc.Client(context.Background()).Get(gw + "/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "svc" {
		t.Errorf("gateway with a token of the late issuer: %d %q, want 200 svc", resp.StatusCode, body)
	}
}

// TestServeChecksAgentClient: when the OAuth Agent's issuer is the server
// of the same process, serve checks at start that the agent's client is
// registered there, in the file or the store, with the agent's redirect
// URI, and fails naming the key; a registered one starts.
func TestServeChecksAgentClient(t *testing.T) {
	const redirect = "http://127.0.0.1:3000/"
	tests := []struct {
		name     string
		clientID string
		redirect string
		stored   bool   // the client is created with the CLI, not in the file
		want     string // the error; empty: serve starts and the agent is ready
	}{
		{name: "in the file", clientID: "spa-agent", redirect: redirect},
		{name: "in the store", clientID: "stored-agent", redirect: redirect, stored: true},
		{name: "unknown client", clientID: "spa-agnet", redirect: redirect, want: `oauth_agent.client_id: "spa-agnet" is no client of this server`},
		{name: "redirect not registered", clientID: "spa-agent", redirect: "http://127.0.0.1:3000/other", want: `oauth_agent.redirect_uri: "http://127.0.0.1:3000/other" is not among the redirect_uris of client "spa-agent"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, agPort := freePort(t), freePort(t)
			issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
			doc := fmt.Sprintf(`
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://%[3]s/portcullis.db
allow_insecure_localhost: true
clients:
  - client_id: spa-agent
    client_secret: agent-secret-with-at-least-32-characters
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [%[4]s]
    scopes: [openid]
`, issuer, port, t.TempDir(), redirect) + agentYAML(issuer, agPort, tt.clientID, tt.redirect)
			conf := filepath.Join(t.TempDir(), "portcullis.yaml")
			if err := os.WriteFile(conf, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.stored {
				cli(t, nil, "clients", "create", "--config", conf, "--id", tt.clientID, "--redirect-uris", tt.redirect, "--scopes", "openid")
			}
			if tt.want != "" {
				out, err := exec.Command(binary, "serve", "--config", conf).CombinedOutput()
				if err == nil || !strings.Contains(string(out), tt.want) {
					t.Fatalf("serve: %v %s, want a failure saying %s", err, out, tt.want)
				}
				return
			}
			startServe(t, doc)
			waitUntil(t, "the agent to be ready", func() bool {
				code, _ := status(fmt.Sprintf("http://127.0.0.1:%d/readyz", agPort))
				return code == http.StatusOK
			})
		})
	}
}
