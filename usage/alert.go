package usage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Alerts is the alerts: section of the configuration file.
type Alerts struct {
	// Webhook, when set, receives every detection as a signed JSON POST.
	// Nil means no alerts: detections are recorded and counted only.
	Webhook *WebhookConfig `yaml:"webhook"`
}

// WebhookConfig is alerts.webhook.
type WebhookConfig struct {
	// URL receives the POSTs: https, or http on a loopback host.
	// Required.
	URL string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of each delivery (see
	// SignatureHeader): at least 32 characters, normally given as
	// ${VAR}. Required.
	Secret string `yaml:"secret"`
	// Timeout bounds one delivery attempt. Zero means 5s; between 1s and
	// 1m.
	Timeout time.Duration `yaml:"timeout"`
	// Queue bounds the alerts waiting to be delivered; when it is full
	// the oldest is dropped (and counted) for the new one. Zero means
	// 1000; between 1 and 100000.
	Queue int `yaml:"queue"`
	// Attempts is how many times a delivery is tried before it is given
	// up, with exponential backoff from 1s, doubling, to at most 1m
	// between tries. Zero means 6; between 1 and 20.
	Attempts int `yaml:"attempts"`
}

// MinWebhookSecret is the shortest webhook secret accepted.
const MinWebhookSecret = 32

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Queue == 0 {
		c.Queue = 1000
	}
	if c.Attempts == 0 {
		c.Attempts = 6
	}
	return c
}

// Validate checks the section and returns every problem found, each a
// *ConfigError, joined with errors.Join; nil when it is valid. Its
// messages never contain the secret.
func (a Alerts) Validate() error {
	if a.Webhook == nil {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ConfigError{Key: "alerts.webhook." + key, Problem: fmt.Sprintf(format, args...)})
	}
	c := a.Webhook.withDefaults()
	if u, err := url.Parse(c.URL); err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
		bad("url", "must be an https URL, or http on a loopback host")
	}
	if len(c.Secret) < MinWebhookSecret {
		bad("secret", "must have at least %d characters (openssl rand -hex 32), got %d", MinWebhookSecret, len(c.Secret))
	}
	if c.Timeout < time.Second || c.Timeout > time.Minute {
		bad("timeout", "must be between 1s and 1m")
	}
	if c.Queue < 1 || c.Queue > 100000 {
		bad("queue", "must be between 1 and 100000")
	}
	if c.Attempts < 1 || c.Attempts > 20 {
		bad("attempts", "must be between 1 and 20")
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasPrefix(host, "127.")
}

// Alert delivery outcomes, the label values of the alert metric.
const (
	// AlertDelivered: the receiver answered 2xx.
	AlertDelivered = "delivered"
	// AlertRetried: an attempt failed and another is scheduled.
	AlertRetried = "retried"
	// AlertFailed: every attempt failed; the alert is given up.
	AlertFailed = "failed"
	// AlertDropped: the queue was full (the oldest alert is dropped) or
	// the process stopped before delivering it.
	AlertDropped = "dropped"
)

// AlertOutcomes lists every outcome, so metrics can create each series.
var AlertOutcomes = [...]string{AlertDelivered, AlertRetried, AlertFailed, AlertDropped}

// Webhook headers.
const (
	// SignatureHeader carries "t=UNIX,v1=HEX": HEX is the lowercase hex
	// HMAC-SHA256, keyed with the secret, of UNIX, ".", and the raw body.
	// Each attempt is signed anew, with its own time.
	SignatureHeader = "Portcullis-Signature"
	// DeliveryHeader carries the detection's ID, the same in every
	// attempt, so a receiver can tell a retry from a new alert.
	DeliveryHeader = "Portcullis-Delivery"
)

// payload is the JSON body of a delivery.
type payload struct {
	Type string `json:"type"` // always "anomaly"
	Detection
}

// Webhook delivers detections to alerts.webhook in the background: Send
// never blocks, the queue is bounded, each attempt has a timeout, and a
// failed delivery is retried with exponential backoff. Use NewWebhook.
type Webhook struct {
	cfg    WebhookConfig
	opts   WebhookOptions
	client *http.Client
	mu     sync.Mutex
	queue  []Detection
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// WebhookOptions tune a Webhook beyond its configuration.
type WebhookOptions struct {
	// Observer counts deliveries by outcome. Nil means none.
	Observer Observer
	// Log receives failed deliveries. Nil means slog.Default().
	Log *slog.Logger
	// Backoff is the wait before the second attempt, doubled for each
	// further one up to MaxBackoff. Zero means 1s, and MaxBackoff zero
	// 1m.
	Backoff, MaxBackoff time.Duration
	// Now is the clock signatures carry. Nil means time.Now.
	Now func() time.Time
}

// NewWebhook starts delivering to c, which must be valid
// (Alerts.Validate); Close stops it.
func NewWebhook(c WebhookConfig, o WebhookOptions) *Webhook {
	c = c.withDefaults()
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	w := &Webhook{cfg: c, opts: o, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		client: &http.Client{Timeout: c.Timeout,
			// A redirect would carry the signed alert where the operator
			// did not send it: it counts as a failed attempt.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	go w.run()
	return w
}

// Send queues x for delivery; when the queue is full the oldest alert
// waiting is dropped.
func (w *Webhook) Send(x Detection) {
	w.mu.Lock()
	dropped := len(w.queue) >= w.cfg.Queue
	if dropped {
		w.queue = slices.Delete(w.queue, 0, 1)
	}
	w.queue = append(w.queue, x)
	w.mu.Unlock()
	if dropped {
		w.count(AlertDropped)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Close stops delivering: an attempt in flight finishes (within the
// timeout), a wait for a retry ends, and what is still queued is counted
// as dropped.
func (w *Webhook) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *Webhook) count(outcome string) {
	if w.opts.Observer != nil {
		w.opts.Observer.Alert(outcome)
	}
}

// run delivers the queue in order, one alert at a time, until Close.
func (w *Webhook) run() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			w.dropQueued()
			return
		default:
		}
		x, ok := w.next()
		if !ok {
			select {
			case <-w.wake:
			case <-w.stop:
			}
			continue
		}
		if !w.deliver(x) {
			w.count(AlertDropped)
		}
	}
}

// dropQueued empties the queue, counting each alert in it as dropped.
func (w *Webhook) dropQueued() {
	w.mu.Lock()
	n := len(w.queue)
	w.queue = nil
	w.mu.Unlock()
	for range n {
		w.count(AlertDropped)
	}
}

// next takes the oldest alert from the queue.
func (w *Webhook) next() (Detection, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return Detection{}, false
	}
	x := w.queue[0]
	w.queue = slices.Delete(w.queue, 0, 1)
	return x, true
}

// deliver tries x until it is delivered or its attempts are used up. It
// returns false if Close interrupted it, before delivery.
func (w *Webhook) deliver(x Detection) bool {
	body, err := json.Marshal(payload{Type: "anomaly", Detection: x})
	if err != nil {
		w.opts.Log.Error("alert not sent: cannot encode it", "anomaly", x.ID, "err", err)
		w.count(AlertFailed)
		return true
	}
	wait := w.opts.Backoff
	for attempt := 1; ; attempt++ {
		err := w.post(x.ID, body)
		if err == nil {
			w.count(AlertDelivered)
			return true
		}
		if attempt >= w.cfg.Attempts {
			w.opts.Log.Error("alert not delivered: every attempt failed", "anomaly", x.ID, "rule", x.Rule, "attempts", attempt, "err", err)
			w.count(AlertFailed)
			return true
		}
		w.count(AlertRetried)
		// Half fixed, half random, so instances failing together do not
		// retry in step.
		d := wait/2 + rand.N(wait/2+1)
		w.opts.Log.Warn("alert delivery failed; retrying", "anomaly", x.ID, "attempt", attempt, "retry_in", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-w.stop:
			t.Stop()
			return false
		}
		wait = min(2*wait, w.opts.MaxBackoff)
	}
}

// post makes one attempt: a 2xx answer delivers it.
func (w *Webhook) post(id string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Portcullis-Alerts")
	req.Header.Set(DeliveryHeader, id)
	req.Header.Set(SignatureHeader, Sign([]byte(w.cfg.Secret), w.opts.Now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return nil
}
