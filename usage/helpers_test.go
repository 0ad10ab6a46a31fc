package usage_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// clock is the injected clock of the detectors and the servers.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// counts is an Observer that counts what it is told.
type counts struct {
	mu        sync.Mutex
	detected  map[string]int
	alerts    map[string]int
	responses map[string]int
}

func newCounts() *counts {
	return &counts{detected: map[string]int{}, alerts: map[string]int{}, responses: map[string]int{}}
}

func (c *counts) Detected(rule string) { c.mu.Lock(); c.detected[rule]++; c.mu.Unlock() }
func (c *counts) Alert(outcome string) { c.mu.Lock(); c.alerts[outcome]++; c.mu.Unlock() }
func (c *counts) Responded(r string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.responses[r]++
	} else {
		c.responses[r+" failed"]++
	}
}

func (c *counts) get(m func(*counts) map[string]int, k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m(c)[k]
}

// delivery is one request the receiver got.
type delivery struct {
	body      []byte
	signature string
	id        string
	payload   map[string]any
}

// receiver is a webhook receiver: it answers each request with the next
// status of its script (200 once the script is used up), and hands every
// request it got to the channel.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	got    chan delivery
	hold   chan struct{} // when not nil, each request waits for a value
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script, got: make(chan delivery, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{body: body, signature: req.Header.Get(usage.SignatureHeader), id: req.Header.Get(usage.DeliveryHeader)}
		if err := json.Unmarshal(body, &d.payload); err != nil {
			t.Errorf("webhook body is not JSON: %v: %s", err, body)
		}
		if ct := req.Header.Get("Content-Type"); ct != "application/json" || req.Method != http.MethodPost {
			t.Errorf("webhook request %s with Content-Type %q, want a POST of application/json", req.Method, ct)
		}
		r.got <- d
		if r.hold != nil {
			<-r.hold
		}
		r.mu.Lock()
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// next waits for the receiver's next request.
func (r *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook request arrived")
		return delivery{}
	}
}

// none checks that no request is waiting.
func (r *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case d := <-r.got:
		t.Errorf("an unexpected webhook request: %s", d.body)
	default:
	}
}

const webhookSecret = "a-webhook-secret-of-at-least-32-characters"

// newWebhook delivers to r with retries a millisecond apart.
func newWebhook(r *receiver, obs usage.Observer, clk *clock, c usage.WebhookConfig) *usage.Webhook {
	c.URL, c.Secret = r.URL, webhookSecret
	return usage.NewWebhook(c, usage.WebhookOptions{Observer: obs, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		Now: clk.Now, Log: slog.New(slog.DiscardHandler)})
}

// newDetector makes a detector closed when the test ends.
func newDetector(t *testing.T, a usage.Anomalies, o usage.Options) *usage.Detector {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	d, err := usage.NewDetector(a, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// call is an APICall of token jti from addr.
func call(jti, addr string) usage.Event {
	return usage.Event{Kind: usage.APICall, ClientID: "svc", Subject: "user-1", Audience: "https://api.example.com",
		Route: "/users", TokenID: jti, Address: addr, UserAgent: "svc/1.0", Outcome: "allowed"}
}
