package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/usage"
)

// TestTokenReplayedFromTwentyAddresses presents one access token through
// the gateway from 20 client addresses (behind a trusted proxy): the
// anomaly detector, told of every call by the gateway as in serve, raises
// one token_theft anomaly and the webhook receives one call, whose
// signature verifies.
func TestTokenReplayedFromTwentyAddresses(t *testing.T) {
	const secret = "a webhook secret of at least thirty-two characters"
	var (
		mu    sync.Mutex
		calls [][]byte
		sigs  []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls, sigs = append(calls, body), append(sigs, r.Header.Get(usage.SignatureHeader))
		mu.Unlock()
	}))
	defer recv.Close()
	trail := &audittest.Log{}
	hook := usage.NewWebhook(usage.WebhookConfig{URL: recv.URL, Secret: secret}, usage.WebhookOptions{Log: slog.New(slog.DiscardHandler)})
	d, err := usage.NewDetector(usage.Anomalies{}, usage.Options{Auditor: trail, Alerts: hook, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	issuer := authservertest.New(t)
	up := echo(t)
	gw := start(t, issuer.URL, func(c *gateway.Config) {
		c.Usage = d
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}, gateway.Route{Path: "/users", Methods: []string{"GET"}, Upstream: up.URL, Scopes: []string{"list:users"}})
	token := issuer.Token(t, "list:users")
	for i := range 20 {
		resp, _ := do(t, "GET", gw.URL+"/users", token, http.Header{"X-Forwarded-For": {"198.51.100." + strconv.Itoa(i+1)}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d: %d", i, resp.StatusCode)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.Close() // waits for the webhook to stop
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("%d webhook calls, want 1", len(calls))
	}
	if err := usage.VerifySignature([]byte(secret), sigs[0], calls[0], time.Now(), time.Minute); err != nil {
		t.Errorf("webhook signature: %v", err)
	}
	if got := anomalies(trail, usage.RuleTokenTheft); got != 1 {
		t.Errorf("%d token_theft anomalies audited, want 1", got)
	}
}

// anomalies counts the anomaly events of rule in l.
func anomalies(l *audittest.Log, rule string) int {
	n := 0
	for _, e := range l.OfType("anomaly") {
		if e.Detail["rule"] == rule {
			n++
		}
	}
	return n
}
