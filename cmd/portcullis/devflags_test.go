package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/oauth2/clientcredentials"
)

// defaultDevStack is the demo on its default ports.
func defaultDevStack(t *testing.T) devStack {
	t.Helper()
	s, err := devOptions{}.stack()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDevStack checks the addresses --port-base and --host give, and the
// values they refuse.
func TestDevStack(t *testing.T) {
	tests := []struct {
		name              string
		opts              devOptions
		wantIssuer        string // what URLs name
		wantBind, wantOps string // where the server and ops listen
		wantErr           string
	}{
		{name: "defaults", wantIssuer: "http://127.0.0.1:8080", wantBind: "127.0.0.1:8080", wantOps: "127.0.0.1:9090"},
		{name: "port base", opts: devOptions{portBase: 18000}, wantIssuer: "http://127.0.0.1:18000", wantBind: "127.0.0.1:18000", wantOps: "127.0.0.1:18005"},
		{name: "every interface", opts: devOptions{portBase: 18000, host: "0.0.0.0"}, wantIssuer: "http://127.0.0.1:18000", wantBind: "0.0.0.0:18000", wantOps: "0.0.0.0:18005"},
		{name: "IPv6 loopback", opts: devOptions{host: "::1"}, wantIssuer: "http://[::1]:8080", wantBind: "[::1]:8080", wantOps: "[::1]:9090"},
		{name: "a host off loopback", opts: devOptions{host: "10.0.0.1"}, wantErr: "--host 10.0.0.1: want a loopback address, or 0.0.0.0 or ::"},
		{name: "port base too high", opts: devOptions{portBase: 65533}, wantErr: "--port-base 65533: want 1 to 65529"},
		{name: "negative port base", opts: devOptions{portBase: -1}, wantErr: "--port-base -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.opts.stack()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.url(devIssuer); got != tt.wantIssuer {
				t.Errorf("issuer %s, want %s", got, tt.wantIssuer)
			}
			if got := s.bind(devListeners[0].addr); got != tt.wantBind {
				t.Errorf("listen %s, want %s", got, tt.wantBind)
			}
			if got := s.bind(devOps); got != tt.wantOps {
				t.Errorf("ops_listen %s, want %s", got, tt.wantOps)
			}
		})
	}
}

// freePortBase is the first of len(devListeners) consecutive free
// loopback ports.
func freePortBase(t *testing.T) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(40000)
		free := true
		for i := range devListeners {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return base
		}
	}
	t.Skip("no seven consecutive free ports")
	return 0
}

// TestDevPortTaken checks that a taken port stops dev before its banner,
// naming the listener's configuration key.
func TestDevPortTaken(t *testing.T) {
	base := freePortBase(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+2))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(binary, "dev", "--port-base", strconv.Itoa(base))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("dev started with a port taken")
	}
	msg := stderr.String()
	if want := fmt.Sprintf("gateway.listen: cannot listen on 127.0.0.1:%d", base+2); !strings.Contains(msg, want) {
		t.Errorf("got %q, want %q", msg, want)
	}
	if strings.Contains(stdout.String(), "Portcullis demo stack") {
		t.Errorf("printed the banner before failing:\n%s", stdout.String())
	}
}

// TestDevWriteConfig runs dev on other ports with --write-config, and the
// CLI, reading and changing state, with the written file against it.
func TestDevWriteConfig(t *testing.T) {
	base := freePortBase(t)
	conf := filepath.Join(t.TempDir(), "demo.yaml")
	// A file there before, readable by all, ends up private.
	if err := os.WriteFile(conf, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Whoever opened it then must not read the demo's secrets through
	// that handle afterwards.
	old, err := os.Open(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	srv := exec.Command(binary, "dev", "--port-base", strconv.Itoa(base), "--write-config", conf)
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	issuer := fmt.Sprintf("http://127.0.0.1:%d", base)
	var secret string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "service client  demo-client, secret "); ok {
			secret = rest
		}
		if line := sc.Text(); strings.Contains(line, "127.0.0.1:8080") || strings.Contains(line, "127.0.0.1:3000") {
			t.Errorf("the banner names a default address: %s", line)
		}
		if strings.Contains(sc.Text(), devBannerEnd) {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	waitReady(t, issuer)
	if seen, _ := io.ReadAll(old); string(seen) != "old" {
		t.Fatalf("a handle opened on the file before read %d bytes of the new one", len(seen))
	}
	if fi, err := os.Stat(conf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("written config: %v %v, want mode 0600", fi, err)
	}
	cc := clientcredentials.Config{ClientID: "demo-client", ClientSecret: secret, TokenURL: issuer + "/token"}
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("token on the moved issuer: %v", err)
	}
	// No variable of the file is set: the file carries the secrets.
	steps := []struct {
		name string
		args []string
		want string
	}{
		{"users list", []string{"users", "list"}, "demo"},
		{"users add", []string{"users", "add", "--username", "ann"}, "added user ann"},
		{"users list shows the change", []string{"users", "list"}, "ann"},
		{"clients list", []string{"clients", "list"}, "demo-client"},
		{"clients create", []string{"clients", "create", "--id", "cli-made", "--scopes", "list:users"}, "cli-made"},
		{"apis list", []string{"apis", "list"}, "https://api.example.com"},
		{"keys list", []string{"keys", "list"}, "ES256"},
		{"audit list", []string{"audit", "list"}, "client created"},
		{"usage", []string{"usage"}, ""},
		{"anomalies", []string{"anomalies"}, ""},
		{"tokens revoke", []string{"tokens", "revoke", "--client", "cli-made", "--reason", "test"}, "revoked"},
		{"migrate status", []string{"migrate", "status"}, "up to date"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if out := cli(t, nil, append(s.args, "--config", conf)...); !strings.Contains(out, s.want) {
				t.Errorf("got %s, want %q", out, s.want)
			}
		})
	}
	// The server sees the CLI's client, in the same store.
	resp, err := http.Get(issuer + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after the CLI: %v %v", resp, err)
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
