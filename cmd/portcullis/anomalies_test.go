package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// TestServeAnomaliesSuspendResume runs the server with a webhook: a
// burst of wrong secrets raises one invalid_client detection, which the
// webhook receives signed, the metric counts and portcullis anomalies
// lists; then the CLI suspends the client, which the running server
// refuses within its poll, and resumes it.
func TestServeAnomaliesSuspendResume(t *testing.T) {
	const hookSecret = "the-webhook-secret-at-least-32-characters"
	hooks := make(chan error, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := usage.VerifySignature([]byte(hookSecret), r.Header.Get(usage.SignatureHeader), body, time.Now(), 5*time.Minute)
		if err == nil && !strings.Contains(string(body), `"rule":"invalid_client"`) {
			err = fmt.Errorf("alert %s", body)
		}
		hooks <- err
	}))
	defer hook.Close()

	dir := t.TempDir()
	port, opsPort := freePort(t), freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	doc, err := os.ReadFile("../../config/testdata/issue.yaml")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "portcullis.yaml")
	doc = []byte(strings.ReplaceAll(string(doc), "127.0.0.1:8080", fmt.Sprintf("127.0.0.1:%d", port)))
	doc = fmt.Appendf(doc, "ops_listen: 127.0.0.1:%d\nanomalies: {rules: {invalid_client: {failures: 5}}}\n"+
		"alerts: {webhook: {url: %q, secret: \"${HOOK_SECRET}\"}}\n", opsPort, hook.URL)
	if err := os.WriteFile(conf, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := "reporting-secret-with-at-least-32-chars"
	env := []string{"REPORTING_SECRET=" + secret, "HOOK_SECRET=" + hookSecret}
	srv := exec.Command(binary, "serve", "--config", conf)
	srv.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve's log:\n%s", logs.String())
		}
	})
	waitReady(t, issuer)

	token := func(pass string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, issuer+"/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("reporting-service", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for range 8 {
		if status, _ := token("wrong"); status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d", status)
		}
	}
	select {
	case err := <-hooks:
		if err != nil {
			t.Fatalf("webhook: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no alert reached the webhook")
	}
	var listed []usage.Detection
	waitUntil(t, "portcullis anomalies to list the detection", func() bool {
		listed = nil
		return json.Unmarshal([]byte(cli(t, env, "anomalies", "--config", conf, "--since", "1h", "--json")), &listed) == nil && len(listed) > 0
	})
	if len(listed) != 1 || listed[0].Rule != usage.RuleInvalidClient || listed[0].ClientID != "reporting-service" || listed[0].Evidence["failures"] != 5.0 {
		t.Errorf("portcullis anomalies --json = %+v", listed)
	}
	if table := cli(t, env, "anomalies", "--config", conf); !strings.Contains(table, "RULE") || !strings.Contains(table, "invalid_client") {
		t.Errorf("portcullis anomalies:\n%s", table)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", opsPort))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`portcullis_anomalies_total{rule="invalid_client"} 1`, `portcullis_alerts_total{outcome="delivered"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	if out := cli(t, env, "clients", "suspend", "--config", conf, "reporting-service", "--for", "1h", "--reason", "investigating"); !strings.Contains(out, "suspended client reporting-service until") {
		t.Errorf("clients suspend said %q", out)
	}
	waitUntil(t, "the server to refuse the suspended client", func() bool {
		status, body := token(secret)
		return status == http.StatusUnauthorized && strings.Contains(body, "suspended until")
	})
	if out := cli(t, env, "clients", "resume", "--config", conf, "reporting-service"); !strings.Contains(out, "resumed client reporting-service") {
		t.Errorf("clients resume said %q", out)
	}
	waitUntil(t, "the server to accept the resumed client", func() bool {
		status, _ := token(secret)
		return status == http.StatusOK
	})
	if out := cli(t, env, "clients", "resume", "--config", conf, "reporting-service"); !strings.Contains(out, "was not suspended") {
		t.Errorf("clients resume of a client in good standing said %q", out)
	}
	if out := cliFails(t, env, "clients", "suspend", "--config", conf, "nobody", "--for", "1h"); !strings.Contains(out, `no client "nobody"`) {
		t.Errorf("clients suspend of an unknown client said %q", out)
	}
	trail := cli(t, env, "audit", "list", "--config", conf, "--client", "reporting-service")
	for _, typ := range []string{"anomaly", "client_suspended", "client_resumed", "client_suspended_refused"} {
		if !strings.Contains(trail, typ) {
			t.Errorf("the audit trail lacks %s:\n%s", typ, trail)
		}
	}
	srv.Process.Signal(os.Interrupt)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
}
