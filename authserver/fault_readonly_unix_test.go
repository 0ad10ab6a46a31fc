//go:build unix

package authserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/asnobody"
)

// TestFaultReadOnlyStore takes write permission on the SQLite file away
// while the server runs and gives it back. Connections opened meanwhile
// are read-only, and SQLite keeps them so after the permission returns:
// /readyz must answer 503 "not writable: read-only" while revocations fail
// with an OAuth JSON error (never a panic), and once the permission is
// back it must answer 200 and revocations succeed in a row without a
// restart, which holds only if the pool drops the read-only connections.
// Root writes whatever the modes say, so as root the test runs itself
// again as user nobody.
func TestFaultReadOnlyStore(t *testing.T) {
	if asnobody.Needed() {
		asnobody.Run(t)
		return
	}
	path := filepath.Join(t.TempDir(), "ro.db")
	node, advance := faultCluster(t, path)
	if status, st := readyz(t, node); status != http.StatusOK {
		t.Fatalf("readyz before = %d %v", status, st)
	}

	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	// Connections opened before the change can still write, so /readyz
	// must tell from the file. Bursts of concurrent revocations make the
	// pool open new connections, read-only, until some revocations fail.
	failed := 0
	for i := 0; i < 100 && failed == 0; i++ {
		failed += revokeBurst(t, node, 16)
	}
	if failed == 0 {
		t.Fatal("with the file read-only, every revocation succeeded")
	}
	for range 2 {
		advance()
		if status, st := readyz(t, node); status != http.StatusServiceUnavailable || st != "not writable: read-only" {
			t.Fatalf("readyz with the file read-only = %d %v, want 503 not writable: read-only", status, st)
		}
	}

	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	awaitReady(t, node, advance, "readyz stayed 503 after the file was writable again")
	// In a row and at once: a burst takes every idle connection, so none
	// that went read-only can hide at the bottom of the pool.
	for range 400 {
		node.Revoke(t, node.Token(t, "list:users"))
	}
	for i := range 25 {
		if failed := revokeBurst(t, node, 16); failed > 0 {
			t.Fatalf("burst %d after the file was writable again: %d of 16 revocations failed", i, failed)
		}
	}
}

// revokeBurst revokes n fresh tokens at node at once and returns how many
// revocations failed. A failure must be a 500 or 503 with an OAuth error
// in JSON.
func revokeBurst(t *testing.T, node *authservertest.Server, n int) (failed int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range n {
		wg.Go(func() {
			err := revokeFresh(node)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if !strings.HasPrefix(err.Error(), "refused: ") {
					errs = append(errs, err)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return failed
}

// revokeFresh gets a token from node and revokes it. A clean failure (500
// or 503 with an OAuth error) returns an error starting "refused: ",
// anything else another error.
func revokeFresh(node *authservertest.Server) error {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := postAsClient(node, "/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"list:users"}}, &tok); err != nil {
		return err
	}
	return postAsClient(node, "/revoke", url.Values{"token": {tok.AccessToken}}, nil)
}

// postAsClient posts form to node's path as its test client and decodes a 200
// answer into out.
func postAsClient(node *authservertest.Server, path string, form url.Values, out any) error {
	req, _ := http.NewRequest(http.MethodPost, node.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(node.ClientID, node.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		if out == nil {
			return nil
		}
		return json.Unmarshal(body, out)
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error == "" || resp.Header.Get("Content-Type") != "application/json" {
			return fmt.Errorf("POST %s: %d without an OAuth error: %q", path, resp.StatusCode, body)
		}
		return fmt.Errorf("refused: POST %s: %d %s", path, resp.StatusCode, e.Error)
	}
	return fmt.Errorf("POST %s: %d %q", path, resp.StatusCode, body)
}
