package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/registry"
)

// serveInProcess runs serve with the configuration doc (whose issuer is
// ISSUER and listen address LISTEN, filled in here) until the test ends,
// and returns the issuer.
func serveInProcess(t *testing.T, doc string, vars map[string]string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	issuer := "http://" + addr
	doc = strings.NewReplacer("ISSUER", issuer, "LISTEN", addr).Replace(doc)
	cfg, err := config.Parse([]byte(doc), t.TempDir(), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(net.Addr) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return issuer
}

// An admin client of the file gets a token for the management API from
// /token and lists the clients with it: serve mounts the API on the main
// listener, and its guard reaches the server in process.
func TestServeManagementAPI(t *testing.T) {
	secret := "admin-secret-with-at-least-32-characters"
	issuer := serveInProcess(t, `
issuer: ISSUER
listen: LISTEN
storage: sqlite://portcullis.db
shutdown_delay: 1ms
clients:
  - client_id: ops
    client_secret: ${ADMIN_SECRET}
    grant_types: [client_credentials]
    scopes: [admin:clients:read]
`, map[string]string{"ADMIN_SECRET": secret})
	cc := clientcredentials.Config{ClientID: "ops", ClientSecret: secret, TokenURL: issuer + "/token"}
	hc := cc.Client(context.Background())
	resp, err := hc.Get(issuer + "/admin/v1/clients")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []registry.ClientInfo `json:"items"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &page) != nil {
		t.Fatalf("GET /admin/v1/clients: %d %s", resp.StatusCode, body)
	}
	if !slices.ContainsFunc(page.Items, func(c registry.ClientInfo) bool { return c.ClientID == "ops" && c.Source == registry.SourceConfig }) {
		t.Fatalf("the file's admin client is not listed: %s", body)
	}
	// A DPoP-bound token works as well (RFC 9449): its proofs name the
	// issuer's URL, where the API is served.
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	bound := cc
	bound.AuthStyle = oauth2.AuthStyleInHeader
	dctx := context.WithValue(context.Background(), oauth2.HTTPClient, dpop.HTTPClient(key, nil))
	resp, err = bound.Client(dctx).Get(issuer + "/admin/v1/clients")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/v1/clients with a DPoP-bound token: %d %s", resp.StatusCode, body)
	}
	tok, err := bound.TokenSource(dctx).Token()
	if err != nil || tok.Type() != "DPoP" {
		t.Fatalf("the token is not DPoP-bound: %v %v", tok, err)
	}
	// Without a token the guard refuses, as for any API.
	resp, err = http.Get(issuer + "/admin/v1/clients")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("without a token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Registration is off unless configured.
	resp, err = http.Post(issuer+"/register", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /register without registration enabled: %d", resp.StatusCode)
	}
}

// The demo stack's admin client holds every scope of the management API.
func TestDevConfigAdmin(t *testing.T) {
	cfg, _, cleanup, err := devConfig(io.Discard, defaultDevStack(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	i := slices.IndexFunc(cfg.Clients, func(c config.Client) bool { return c.ClientID == "demo-admin" })
	if i < 0 || !slices.Equal(cfg.Clients[i].Scopes, registry.AdminScopes) {
		t.Fatalf("demo-admin does not hold every admin scope: %+v", cfg.Clients)
	}
	if !cfg.Registration.Enabled {
		t.Fatal("the demo stack does not open dynamic registration")
	}
}

// tryDevAdmin follows the banner of a running portcullis dev: the printed
// admin credentials list the clients through the management API.
func tryDevAdmin(t *testing.T, banner string) {
	t.Helper()
	_, rest, ok := strings.Cut(banner, "admin client    demo-admin, secret ")
	if !ok {
		t.Fatalf("the banner names no admin client:\n%s", banner)
	}
	secret, _, _ := strings.Cut(rest, " ")
	cc := clientcredentials.Config{ClientID: "demo-admin", ClientSecret: secret, TokenURL: devIssuer + "/token"}
	resp, err := cc.Client(context.Background()).Get(devIssuer + "/admin/v1/clients")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the demo admin client lists clients: %d", resp.StatusCode)
	}
}
