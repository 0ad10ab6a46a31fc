package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const (
	kek1 = "1111111111111111111111111111111111111111111111111111111111111111"
	kek2 = "2222222222222222222222222222222222222222222222222222222222222222"
)

// cliFails runs the binary, expects it to fail, and returns its output.
func cliFails(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("portcullis %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

// keysAtRest returns each key's at_rest by kid, from keys list --json.
func keysAtRest(t *testing.T, env []string, conf string) map[string]string {
	t.Helper()
	var views []keyView
	if err := json.Unmarshal([]byte(cli(t, env, "keys", "list", "--config", conf, "--json")), &views); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range views {
		out[v.KID] = v.AtRest
	}
	return out
}

// TestKeysAtRest walks the life of a deployment's signing keys through the
// binary: made in plaintext before a key-encryption key exists, encrypted
// by keys rewrap, refused by a server with the wrong key, moved to a new
// key with the old one as key_encryption_key_previous; and a database file
// others can read is refused.
func TestKeysAtRest(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	base := fmt.Sprintf("issuer: %s\nlisten: 127.0.0.1:%d\nstorage: sqlite://p.db\nshutdown_delay: 100ms\n", issuer, port)
	write := func(name, extra string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(base+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain.yaml", "")
	first := write("first.yaml", "key_encryption_key: ${KEK}\n")
	moving := write("moving.yaml", "key_encryption_key: ${KEK}\nkey_encryption_key_previous: ${OLD_KEK}\n")
	env1 := []string{"KEK=" + kek1}
	env2 := []string{"KEK=" + kek2, "OLD_KEK=" + kek1}
	only2 := []string{"KEK=" + kek2}

	// Without a key-encryption key the server runs, warns once and says
	// so at /readyz.
	logs := serveUntilReady(t, nil, plain, issuer, "plaintext")
	if n := strings.Count(logs, "no key_encryption_key configured"); n != 1 {
		t.Fatalf("the plaintext warning appears %d times in:\n%s", n, logs)
	}
	before := keysAtRest(t, nil, plain)
	if len(before) != 2 {
		t.Fatalf("keys after the first start: %v", before)
	}
	for kid, at := range before {
		if at != "plaintext" {
			t.Fatalf("key %s is %s without a key-encryption key", kid, at)
		}
	}
	if out := cliFails(t, nil, "keys", "rewrap", "--config", plain); !strings.Contains(out, "key_encryption_key is not set") {
		t.Fatalf("rewrap without a key: %s", out)
	}

	// The first rewrap encrypts every key; a second changes nothing.
	var res struct{ Encrypted, Rewrapped, Unchanged []string }
	json.Unmarshal([]byte(cli(t, env1, "keys", "rewrap", "--config", first, "--json")), &res)
	if len(res.Encrypted) != 2 || len(res.Rewrapped)+len(res.Unchanged) != 0 {
		t.Fatalf("first rewrap: %+v", res)
	}
	for kid, at := range keysAtRest(t, env1, first) {
		if at != "encrypted" {
			t.Fatalf("key %s is %s after rewrap", kid, at)
		}
	}
	if out := cli(t, env1, "keys", "rewrap", "--config", first); !strings.Contains(out, "0 encrypted, 0 moved from the previous key, 2 already there") {
		t.Fatalf("second rewrap: %s", out)
	}

	// A server or CLI with another key stops, naming a key, never
	// showing key material; one with no key stops too.
	for name, tc := range map[string]struct {
		env  []string
		args []string
		want string
	}{
		"serve, wrong key":  {only2, []string{"serve", "--config", first}, "not with the configured"},
		"serve, no key":     {nil, []string{"serve", "--config", plain}, "no key-encryption key configured"},
		"rotate, wrong key": {only2, []string{"keys", "rotate", "--config", first}, "not with the configured"},
	} {
		out := cliFails(t, tc.env, tc.args...)
		named := false
		for kid := range before {
			named = named || strings.Contains(out, kid)
		}
		if !strings.Contains(out, tc.want) || !named || strings.Contains(out, kek1) || strings.Contains(out, kek2) {
			t.Fatalf("%s: %s", name, out)
		}
	}

	// While keys move, servers hold both keys; rewrap moves them; then
	// the old key alone opens nothing and the new key alone opens all.
	serveUntilReady(t, env2, moving, issuer, "encrypted")
	json.Unmarshal([]byte(cli(t, env2, "keys", "rewrap", "--config", moving, "--json")), &res)
	if len(res.Rewrapped) != 2 || len(res.Encrypted)+len(res.Unchanged) != 0 {
		t.Fatalf("rewrap to a new key: %+v", res)
	}
	cliFails(t, env1, "keys", "rotate", "--config", first)
	cli(t, only2, "keys", "rotate", "--config", first, "--activate-in", "0s")
	if out := cli(t, only2, "audit", "list", "--config", first, "--type", "keys_rewrapped"); strings.Count(out, "keys_rewrapped") != 3 {
		t.Fatalf("audit trail of the rewraps:\n%s", out)
	}

	// A database file others can read is refused with the fix.
	db := filepath.Join(dir, "p.db")
	os.Chmod(db, 0o644)
	if out := cliFails(t, only2, "serve", "--config", first); !strings.Contains(out, "chmod 600 "+db) {
		t.Fatalf("serve with a world-readable database: %s", out)
	}
}

// serveUntilReady starts serve with conf, checks /readyz reports
// keys_at_rest, stops it with SIGTERM and returns its log.
func serveUntilReady(t *testing.T, env []string, conf, issuer, atRest string) string {
	t.Helper()
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	waitReady(t, issuer)
	resp, err := http.Get(issuer + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if ready := decodeReady(resp); resp.StatusCode != http.StatusOK || ready["keys_at_rest"] != atRest {
		t.Fatalf("readyz = %d %v, want 200 with keys_at_rest %s", resp.StatusCode, ready, atRest)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	return logs.String()
}

// decodeReady reads a /readyz answer.
func decodeReady(resp *http.Response) map[string]string {
	defer resp.Body.Close()
	var ready map[string]string
	json.NewDecoder(resp.Body).Decode(&ready)
	return ready
}
