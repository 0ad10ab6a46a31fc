package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
	"github.com/portcullis/portcullis/usage"
)

// TestUsageCLI runs the server and the gateway in one process, issues
// tokens, introspects one and calls the gateway with and without the
// right token, stops the server with SIGTERM (which flushes the usage
// counts), and reads the records back with portcullis usage, as JSON
// and as a table.
func TestUsageCLI(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer upstream.Close()
	dir := t.TempDir()
	port, gwPort := freePort(t), freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	conf := filepath.Join(dir, "portcullis.yaml")
	os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %[1]s
listen: 127.0.0.1:%[2]d
storage: sqlite://portcullis.db
shutdown_delay: 100ms
apis:
  - identifier: https://api.example.com
    scopes: [list:users, read:users]
clients:
  - client_id: svc
    client_secret: ${SVC_SECRET}
    grant_types: [client_credentials]
    scopes: [list:users, read:users]
gateway:
  listen: 127.0.0.1:%[3]d
  issuer: %[1]s
  audience: https://api.example.com
  routes:
    - path: /users
      upstream: %[4]s
      scopes: [list:users]
`, issuer, port, gwPort, upstream.URL), 0o600)
	secret := "svc-secret-with-at-least-32-characters!"
	env := []string{"SVC_SECRET=" + secret}
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), env...)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitReady(t, issuer)
	gw := fmt.Sprintf("http://127.0.0.1:%d", gwPort)
	call := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, gw+"/users", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for deadline := time.Now().Add(20 * time.Second); call("") != http.StatusUnauthorized; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gateway not listening")
		}
	}
	ctx := context.Background()
	token := func(scope string) string {
		cc := clientcredentials.Config{ClientID: "svc", ClientSecret: secret, TokenURL: issuer + "/token", Scopes: []string{scope}}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	list, read := token("list:users"), token("read:users")
	req, _ := http.NewRequest(http.MethodPost, issuer+"/introspect", strings.NewReader("token="+list))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("introspect: %v %v", resp, err)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{list, 200}, {list, 200}, {list, 200}, {read, 403}} {
		if got := call(tc.token); got != tc.want {
			t.Fatalf("gateway: %d, want %d", got, tc.want)
		}
	}
	// SIGTERM: the counts are flushed as the server stops.
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}

	var rep usage.Report
	if err := json.Unmarshal([]byte(cli(t, env, "usage", "--config", conf, "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	var tokens, intros, allowed, scope, noToken int64
	for _, r := range rep.Rows {
		switch r.ClientID {
		case "svc":
			tokens += r.TokensIssued["client_credentials"]
			intros += r.Introspections[usage.Active]
			allowed += r.Allowed()
			scope += r.APICalls[guard.OutcomeInsufficientScope]
		case "":
			noToken += r.APICalls[guard.OutcomeNoToken]
		}
	}
	// The calls without a token include the gateway's readiness probes.
	if tokens != 2 || intros != 1 || allowed != 3 || scope != 1 || noToken < 1 || rep.By != usage.ByHour {
		t.Fatalf("tokens %d, introspections %d, allowed %d, insufficient_scope %d, no_token %d; want 2, 1, 3, 1, at least 1\n%+v",
			tokens, intros, allowed, scope, noToken, rep)
	}
	// The table, by day: one row, or two if the calls spanned midnight.
	out := cli(t, env, "usage", "--config", conf, "--client", "svc", "--route", "/users", "--by", "day")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || strings.Join(strings.Fields(lines[0]), " ") != "PERIOD CLIENT API ROUTE TOKENS INTROSPECTIONS ALLOWED REFUSED RATE-LIMITED REFUSALS" {
		t.Fatalf("usage table:\n%s", out)
	}
	var calls, refused int
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if _, err := time.Parse(time.DateOnly, f[0]); err != nil || len(f) < 9 || f[1] != "svc" || f[2] != "https://api.example.com" || f[3] != "/users" {
			t.Fatalf("usage table row %q", line)
		}
		var a, r int
		fmt.Sscan(f[6], &a)
		fmt.Sscan(f[7], &r)
		calls, refused = calls+a, refused+r
	}
	if calls != 3 || refused != 1 || !strings.Contains(out, "insufficient_scope:1") {
		t.Fatalf("usage table: %d allowed, %d refused; want 3 and 1 (insufficient_scope)\n%s", calls, refused, out)
	}
}

func TestUsageCLIErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a period that is not hour or day", []string{"usage", "--config", "../../config/testdata/issue.yaml", "--by", "week"}, `--by "week": want hour or day`},
		{"a bad --since", []string{"usage", "--config", "../../config/testdata/issue.yaml", "--since", "yesterday"}, "want an RFC 3339 time or a duration"},
		{"a bad --until", []string{"usage", "--config", "../../config/testdata/issue.yaml", "--until", "-1h"}, "--until"},
		{"without a configuration file", []string{"usage"}, "no configuration file: pass --config FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(binary, tt.args...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tt.want) {
				t.Fatalf("got %v %q, want a failure saying %q", err, out, tt.want)
			}
		})
	}
}

// TestSweepUsage runs the periodic sweep: usage counts of hours past
// usage_retention go, the others stay.
func TestSweepUsage(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Hour)
	keep := retention{audit: 90 * 24 * time.Hour, usage: usage.DefaultRetention}
	err = st.AddUsage(ctx, "b", []store.UsageCount{
		{Hour: now.Add(-keep.usage - time.Hour), ClientID: "old", Metric: usage.MetricAPICalls, Detail: "allowed", Count: 1},
		{Hour: now.Add(-keep.usage + time.Hour), ClientID: "kept", Metric: usage.MetricAPICalls, Detail: "allowed", Count: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	sweep(ctx, st, slog.New(slog.DiscardHandler), now, keep)
	left, err := st.ListUsage(ctx, store.UsageFilter{})
	if err != nil || len(left) != 1 || left[0].ClientID != "kept" {
		t.Fatalf("left %+v, %v; want the row within retention", left, err)
	}
}
