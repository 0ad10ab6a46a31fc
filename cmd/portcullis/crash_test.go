package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// TestFaultSIGKILLLosesNoToken runs two instances on one PostgreSQL database,
// kills one with SIGKILL while clients get and revoke tokens through it,
// and checks at the survivor that every token a client received still
// introspects active, and every revocation a client saw confirmed holds.
func TestFaultSIGKILLLosesNoToken(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	dir := t.TempDir()
	issuer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t)) // one issuer, as behind a balancer
	secret := "load-secret-with-at-least-32-characters"
	start := func(name string) (*exec.Cmd, string) {
		port := freePort(t)
		conf := filepath.Join(dir, name+".yaml")
		os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %s
listen: 127.0.0.1:%d
storage: %s
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
clients:
  - client_id: load
    client_secret: ${LOAD_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users]
`, issuer, port, dsn), 0o600)
		cmd := exec.Command(binary, "serve", "--config", conf)
		cmd.Env = append(os.Environ(), "LOAD_SECRET="+secret)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		waitReady(t, base)
		return cmd, base
	}
	victim, a := start("a")
	_, b := start("b")

	post := func(base, path string, form url.Values) (int, map[string]any, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("load", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body, nil
	}

	var mu sync.Mutex
	var issued, revoked []string
	var wg sync.WaitGroup
	stop := time.Now().Add(20 * time.Second) // bounded load; the kill ends it sooner
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				status, body, err := post(a, "/token", url.Values{"grant_type": {"client_credentials"}})
				if err != nil || status != 200 {
					return // the instance is gone
				}
				tok := body["access_token"].(string)
				if i%3 == 0 {
					if status, _, err := post(a, "/revoke", url.Values{"token": {tok}}); err == nil && status == 200 {
						mu.Lock()
						revoked = append(revoked, tok)
						mu.Unlock()
					}
					continue
				}
				mu.Lock()
				issued = append(issued, tok)
				mu.Unlock()
			}
		}()
	}
	// The kill comes once the load has some of each, however slow the
	// machine, and a moment later, so that requests are in flight.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		some := len(issued) > 0 && len(revoked) > 0
		mu.Unlock()
		if some {
			break
		}
	}
	time.Sleep(100 * time.Millisecond)
	victim.Process.Kill()
	wg.Wait()

	if len(issued) == 0 || len(revoked) == 0 {
		t.Fatalf("the load got %d tokens and %d revocations before the kill; want some of each", len(issued), len(revoked))
	}
	for _, tok := range issued {
		if _, body, err := post(b, "/introspect", url.Values{"token": {tok}}); err != nil || body["active"] != true {
			t.Fatalf("a token issued by the killed instance does not introspect active at the survivor: %v %v", body, err)
		}
	}
	for _, tok := range revoked {
		if _, body, err := post(b, "/introspect", url.Values{"token": {tok}}); err != nil || body["active"] != false {
			t.Fatalf("a confirmed revocation at the killed instance was lost: %v %v", body, err)
		}
	}
	t.Logf("checked %d issued and %d revoked tokens at the survivor", len(issued), len(revoked))
}
