package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"
)

// TestCLIRevocationReachesSeenToken has a running server introspect a
// token until it remembers it, revokes the token's client with the CLI (a
// second process on the same SQLite file), and introspects again: the
// token is inactive as soon as the command returns, though the server's
// connections wrote nothing.
func TestCLIRevocationReachesSeenToken(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	secret := "svc-secret-with-at-least-32-characters"
	conf := filepath.Join(dir, "portcullis.yaml")
	doc := fmt.Sprintf(`issuer: %s
listen: 127.0.0.1:%d
storage: sqlite://%s/p.db
log_level: error
apis:
  - identifier: https://api.example.com
    scopes: [read]
clients:
  - client_id: svc
    client_secret: %s
    grant_types: [client_credentials]
    scopes: [read]
`, issuer, port, dir, secret)
	if err := os.WriteFile(conf, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, doc)
	waitReady(t, issuer)
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: secret, TokenURL: issuer + "/token"}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	active := func() bool {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, issuer+"/introspect", strings.NewReader("token="+tok.AccessToken))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("svc", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Active bool `json:"active"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Active
	}
	for range 3 {
		if !active() {
			t.Fatal("a fresh token introspected inactive")
		}
	}
	cli(t, nil, "tokens", "revoke", "--config", conf, "--client", "svc", "--reason", "test")
	if active() {
		t.Fatal("the token stayed active at the server after the CLI's revocation returned")
	}
}
