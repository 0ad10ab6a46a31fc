package usage_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

func detection(id string) usage.Detection {
	return usage.Detection{ID: id, Rule: usage.RuleInvalidClient, Time: time.Unix(1900000000, 0).UTC(), ClientID: "svc",
		Evidence: map[string]any{"failures": 20}}
}

func alertCount(obs *counts, outcome string) int {
	return obs.get(func(c *counts) map[string]int { return c.alerts }, outcome)
}

// TestWebhookRetry: a receiver that fails twice gets the same alert three
// times, each attempt signed anew and valid, under one delivery ID.
func TestWebhookRetry(t *testing.T) {
	clk, obs := newClock(), newCounts()
	recv := newReceiver(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	w := newWebhook(recv, obs, clk, usage.WebhookConfig{})
	w.Send(detection("d1"))
	var first []byte
	for i := range 3 {
		d := recv.next(t)
		if err := usage.VerifySignature([]byte(webhookSecret), d.signature, d.body, clk.Now(), time.Minute); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
		if d.id != "d1" || d.payload["id"] != "d1" {
			t.Errorf("attempt %d: delivery %q, body %s", i+1, d.id, d.body)
		}
		if i == 0 {
			first = d.body
		} else if string(d.body) != string(first) {
			t.Errorf("attempt %d's body differs from the first's", i+1)
		}
	}
	w.Close()
	recv.none(t)
	if alertCount(obs, usage.AlertRetried) != 2 || alertCount(obs, usage.AlertDelivered) != 1 || alertCount(obs, usage.AlertFailed) != 0 {
		t.Errorf("outcomes counted: %v", obs.alerts)
	}
}

// TestWebhookGivesUp: a receiver that always fails gets the configured
// attempts, then the alert is counted failed and the next one is sent.
func TestWebhookGivesUp(t *testing.T) {
	clk, obs := newClock(), newCounts()
	recv := newReceiver(t, 500, 500, 500)
	w := newWebhook(recv, obs, clk, usage.WebhookConfig{Attempts: 3})
	w.Send(detection("lost"))
	w.Send(detection("next"))
	for range 3 {
		if d := recv.next(t); d.id != "lost" {
			t.Fatalf("got %q, want the attempts of the first alert first", d.id)
		}
	}
	if d := recv.next(t); d.id != "next" {
		t.Fatalf("got %q, want the second alert", d.id)
	}
	w.Close()
	if alertCount(obs, usage.AlertFailed) != 1 || alertCount(obs, usage.AlertDelivered) != 1 {
		t.Errorf("outcomes counted: %v", obs.alerts)
	}
}

// TestWebhookQueueDropsOldest: while the receiver holds the first alert,
// a queue of two keeps the newest two; the older are dropped and counted.
func TestWebhookQueueDropsOldest(t *testing.T) {
	clk, obs := newClock(), newCounts()
	recv := newReceiver(t)
	recv.hold = make(chan struct{})
	w := newWebhook(recv, obs, clk, usage.WebhookConfig{Queue: 2})
	w.Send(detection("a1"))
	if d := recv.next(t); d.id != "a1" {
		t.Fatalf("first delivery %q", d.id)
	}
	for i := 2; i <= 5; i++ {
		w.Send(detection(fmt.Sprint("a", i))) // never blocks
	}
	close(recv.hold)
	for _, want := range []string{"a4", "a5"} {
		if d := recv.next(t); d.id != want {
			t.Errorf("delivered %q, want %q", d.id, want)
		}
	}
	w.Close()
	if alertCount(obs, usage.AlertDropped) != 2 || alertCount(obs, usage.AlertDelivered) != 3 {
		t.Errorf("outcomes counted: %v", obs.alerts)
	}
}

// TestWebhookCloseDuringRetry: Close ends a wait for a retry at once and
// counts the alert and those queued as dropped.
func TestWebhookCloseDuringRetry(t *testing.T) {
	clk, obs := newClock(), newCounts()
	recv := newReceiver(t, 500)
	w := usage.NewWebhook(usage.WebhookConfig{URL: recv.URL, Secret: webhookSecret},
		usage.WebhookOptions{Observer: obs, Backoff: time.Hour, Now: clk.Now})
	w.Send(detection("x"))
	recv.next(t)
	w.Send(detection("y"))
	w.Close()
	if alertCount(obs, usage.AlertDropped) != 2 || alertCount(obs, usage.AlertRetried) != 1 {
		t.Errorf("outcomes counted: %v", obs.alerts)
	}
}

// TestVerifySignature: what a receiver must refuse.
func TestVerifySignature(t *testing.T) {
	now := time.Unix(1900000000, 0)
	body := []byte(`{"type":"anomaly","id":"x"}`)
	good := usage.Sign([]byte(webhookSecret), now, body)
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		want   error
	}{
		{"valid", webhookSecret, good, body, nil},
		{"valid among several v1", webhookSecret, good + ",v1=00ff", body, nil},
		{"body changed", webhookSecret, good, []byte(`{"type":"anomaly","id":"y"}`), usage.ErrSignatureMismatch},
		{"other secret", strings.Repeat("s", 40), good, body, usage.ErrSignatureMismatch},
		{"too old", webhookSecret, usage.Sign([]byte(webhookSecret), now.Add(-6*time.Minute), body), body, usage.ErrSignatureTooOld},
		{"from the future", webhookSecret, usage.Sign([]byte(webhookSecret), now.Add(6*time.Minute), body), body, usage.ErrSignatureTooOld},
		{"time moved", webhookSecret, strings.Replace(good, "t=1900000000", "t=1900000001", 1), body, usage.ErrSignatureMismatch},
		{"no signature", webhookSecret, "t=1900000000", body, usage.ErrSignatureMalformed},
		{"no time", webhookSecret, good[strings.Index(good, "v1="):], body, usage.ErrSignatureMalformed},
		{"empty", webhookSecret, "", body, usage.ErrSignatureMalformed},
		{"garbage", webhookSecret, "t=abc,v1=zz", body, usage.ErrSignatureMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := usage.VerifySignature([]byte(tt.secret), tt.header, tt.body, now, 5*time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifySignature = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestAlertsConfig: bad values name their key and never show the secret.
func TestAlertsConfig(t *testing.T) {
	tests := []struct {
		name string
		c    usage.WebhookConfig
		want string
	}{
		{"plain http elsewhere", usage.WebhookConfig{URL: "http://alerts.example.com/hook", Secret: webhookSecret}, "alerts.webhook.url"},
		{"short secret", usage.WebhookConfig{URL: "https://alerts.example.com/hook", Secret: "short-secret"}, "alerts.webhook.secret: must have at least 32 characters"},
		{"no url", usage.WebhookConfig{Secret: webhookSecret}, "alerts.webhook.url"},
		{"timeout too long", usage.WebhookConfig{URL: "https://a.example/", Secret: webhookSecret, Timeout: time.Hour}, "alerts.webhook.timeout"},
		{"queue negative", usage.WebhookConfig{URL: "https://a.example/", Secret: webhookSecret, Queue: -1}, "alerts.webhook.queue"},
		{"attempts too many", usage.WebhookConfig{URL: "https://a.example/", Secret: webhookSecret, Attempts: 21}, "alerts.webhook.attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := usage.Alerts{Webhook: &tt.c}.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "short-secret") {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	for _, u := range []string{"https://alerts.example.com/hook", "http://127.0.0.1:9000/hook", "http://localhost/x"} {
		if err := (usage.Alerts{Webhook: &usage.WebhookConfig{URL: u, Secret: webhookSecret}}).Validate(); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
