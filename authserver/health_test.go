package authserver_test

import (
	"net/http"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

func TestHealth(t *testing.T) {
	as := authservertest.New(t)
	var body map[string]string
	getJSON(t, as.URL+"/healthz", &body)
	if body["status"] != "ok" {
		t.Fatalf("healthz = %v", body)
	}
	getJSON(t, as.URL+"/readyz", &body)
	if body["store"] != "ok" || body["keys"] != "ok" || body["keys_at_rest"] != "plaintext" {
		t.Fatalf("readyz = %v", body)
	}
	// With the database gone the instance is alive but not ready.
	as.Store.Close()
	resp, err := http.Get(as.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, resp); resp.StatusCode != http.StatusServiceUnavailable || got["store"] != "unreachable" {
		t.Fatalf("readyz without a store: %d %v", resp.StatusCode, got)
	}
	if resp, _ := http.Get(as.URL + "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz without a store: %d", resp.StatusCode)
	}
}

// TestReadyReportsKeysAtRest: an instance whose signing keys are encrypted
// at rest says so; one without a key-encryption key says "plaintext" and
// is still ready.
func TestReadyReportsKeysAtRest(t *testing.T) {
	tests := []struct {
		name      string
		encrypted bool
		want      string
	}{
		{"with a key-encryption key", true, "encrypted"},
		{"without one", false, "plaintext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := authservertest.New(t, func(c *authserver.Config) { c.KeysEncrypted = tt.encrypted })
			resp, err := http.Get(as.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			if got := decode(t, resp); resp.StatusCode != http.StatusOK || got["keys_at_rest"] != tt.want {
				t.Fatalf("readyz = %d %v, want 200 with keys_at_rest %s", resp.StatusCode, got, tt.want)
			}
		})
	}
}

// TestReadyReportsRedis: an instance whose Redis does not answer is still
// ready and says "redis": "degraded"; one without Redis leaves it out.
func TestReadyReportsRedis(t *testing.T) {
	tests := []struct {
		name    string
		healthy func() bool
		want    any // nil: not reported
	}{
		{"Redis answers", func() bool { return true }, "ok"},
		{"Redis down", func() bool { return false }, "degraded"},
		{"no Redis", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := authservertest.New(t, func(c *authserver.Config) { c.RedisHealthy = tt.healthy })
			resp, err := http.Get(as.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			if got := decode(t, resp); resp.StatusCode != http.StatusOK || got["redis"] != tt.want {
				t.Fatalf("readyz = %d %v, want 200 with redis %v", resp.StatusCode, got, tt.want)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	as := authservertest.New(t)
	req, _ := http.NewRequest(http.MethodGet, as.URL+"/jwks", nil)
	req.Header.Set("X-Request-Id", "trace-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "trace-123" {
		t.Fatalf("request ID not echoed: %q", resp.Header.Get("X-Request-Id"))
	}
}

// TestReadyWhileStarting: between Starting and Started /readyz answers 503
// with exactly {"status": "starting"} and /healthz stays 200; then ready.
func TestReadyWhileStarting(t *testing.T) {
	as := authservertest.New(t)
	as.Instance.Starting()
	resp, err := http.Get(as.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, resp); resp.StatusCode != http.StatusServiceUnavailable || len(got) != 1 || got["status"] != "starting" {
		t.Fatalf("readyz while starting: %d %v", resp.StatusCode, got)
	}
	if resp, _ := http.Get(as.URL + "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz while starting: %d", resp.StatusCode)
	}
	as.Instance.Started()
	if resp, _ := http.Get(as.URL + "/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz once started: %d", resp.StatusCode)
	}
}
