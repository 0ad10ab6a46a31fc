package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/dpop"
)

// proofCmd runs portcullis dpop proof with args and returns its stdout,
// its stderr and whether it succeeded.
func proofCmd(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, append([]string{"dpop", "proof"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err == nil
}

// verifyProof checks that out is one proof for want, carrying nonce, and
// returns its key's thumbprint, or "" after reporting why it is not. It
// may run in any goroutine.
func verifyProof(t *testing.T, out, nonce string, want dpop.Request) string {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout %q is not one line", out)
		return ""
	}
	v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)})
	if err != nil {
		t.Error(err)
		return ""
	}
	h := http.Header{}
	h.Set(dpop.Header, strings.TrimSpace(out))
	p, err := v.Verify(context.Background(), h, want)
	if err != nil {
		t.Errorf("proof refused: %v", err)
		return ""
	}
	if got, _ := claim(strings.TrimSpace(out), "nonce"); got != nonce {
		t.Errorf("nonce %q, want %q", got, nonce)
	}
	return p.JKT
}

func TestDPoPProof(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "dpop.pem")
	const api = "https://api.example.com/users"

	out, notes, ok := proofCmd(t, "--method", "GET", "--url", api+"?page=2#x", "--token", "tok", "--nonce", "n1", "--key", keyFile)
	if !ok {
		t.Fatalf("failed: %s", notes)
	}
	jkt := verifyProof(t, out, "n1", dpop.Request{Method: "GET", URL: api, AccessToken: "tok"})
	if want := "jkt " + jkt + " (a new key, saved in " + keyFile + ")"; !strings.Contains(notes, want) {
		t.Errorf("stderr %q does not say %q", notes, want)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi.Mode(), err)
	}

	// The same key from the file, for a token request this time.
	out, notes, ok = proofCmd(t, "--method", "POST", "--url", "http://127.0.0.1:8080/token", "--key", keyFile)
	if !ok {
		t.Fatalf("failed: %s", notes)
	}
	if again := verifyProof(t, out, "", dpop.Request{Method: "POST", URL: "http://127.0.0.1:8080/token"}); again != jkt {
		t.Errorf("the key file's key is %s, first %s", again, jkt)
	}
	if !strings.Contains(notes, "jkt "+jkt+" (the key in "+keyFile+")") || strings.Contains(notes, "warning") {
		t.Errorf("stderr %q", notes)
	}

	// A file others may read still works, with a warning.
	os.Chmod(keyFile, 0o644)
	if _, notes, ok = proofCmd(t, "--method", "POST", "--url", "https://id.example.com/token", "--key", keyFile); !ok || !strings.Contains(notes, "can be read by other users") {
		t.Errorf("loose key file: ok %v, stderr %q", ok, notes)
	}

	// Without --key, each proof has a key of its own, and says so.
	var seen []string
	for range 2 {
		out, notes, ok := proofCmd(t, "--method", "POST", "--url", "https://id.example.com/token")
		if !ok || !strings.Contains(notes, "ephemeral key") {
			t.Fatalf("ephemeral: ok %v, stderr %q", ok, notes)
		}
		seen = append(seen, verifyProof(t, out, "", dpop.Request{Method: "POST", URL: "https://id.example.com/token"}))
	}
	if seen[0] == seen[1] {
		t.Error("two ephemeral keys are the same")
	}
}

// Calls racing to create one key file all use the key that was saved.
func TestDPoPProofKeyFileRace(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "dpop.pem")
	jkts := make([]string, 8)
	var wg sync.WaitGroup
	for i := range jkts {
		wg.Go(func() {
			out, notes, ok := proofCmd(t, "--method", "POST", "--url", "https://id.example.com/token", "--key", keyFile)
			if !ok {
				t.Errorf("failed: %s", notes)
				return
			}
			jkts[i] = verifyProof(t, out, "", dpop.Request{Method: "POST", URL: "https://id.example.com/token"})
		})
	}
	wg.Wait()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := dpop.ParseKey(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, jkt := range jkts {
		if jkt != key.Thumbprint() {
			t.Errorf("call %d used %s, the file holds %s", i, jkt, key.Thumbprint())
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(keyFile), ".portcullis-key-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestDPoPProofErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a key"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no method", []string{"--url", "https://a.example/"}, `required flag(s) "method" not set`},
		{"no url", []string{"--method", "GET"}, `required flag(s) "url" not set`},
		{"relative url", []string{"--method", "GET", "--url", "/users"}, "absolute http or https URL"},
		{"not a key", []string{"--method", "GET", "--url", "https://a.example/", "--key", garbage}, garbage + ": dpop: no PEM block"},
		{"key in a missing folder", []string{"--method", "GET", "--url", "https://a.example/", "--key", filepath.Join(dir, "no", "k.pem")}, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, notes, ok := proofCmd(t, tc.args...)
			if ok || out != "" || !strings.Contains(notes, tc.want) {
				t.Fatalf("ok %v, stdout %q, stderr %q; want a failure saying %q", ok, out, notes, tc.want)
			}
		})
	}
}

// claim returns a string claim of a compact JWS, unverified.
func claim(jws, name string) (string, bool) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	json.Unmarshal(payload, &c)
	v, ok := c[name].(string)
	return v, ok
}
