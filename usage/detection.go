package usage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

// Detection is one anomaly a rule found. It is written to the audit
// trail as an anomaly event, sent to the alert webhook as JSON, and read
// back by ListDetections in the same shape, for the CLI and the
// management API. It never holds a token or a secret: TokenID is a jti.
type Detection struct {
	// ID identifies the detection in the audit trail and in every
	// delivery of its alert.
	ID   string    `json:"id"`
	Rule string    `json:"rule"`
	Time time.Time `json:"time"`
	// ClientID, Subject, Address and TokenID say whom it is about, where
	// the rule knows.
	ClientID string `json:"client_id,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Address  string `json:"address,omitempty"`
	TokenID  string `json:"token_id,omitempty"`
	// Evidence is what the rule counted: numbers, addresses, the window.
	Evidence map[string]any `json:"evidence"`
	// Response is the rule's automatic response, if it has one; its
	// outcome is audited apart (token_revoked, client_suspended).
	Response string `json:"response,omitempty"`
	// EventID is the ID of the audit event that records the detection,
	// set when it is read back: as DetectionFilter.Before it selects the
	// detections before this one (the next page).
	EventID int64 `json:"event_id,omitempty"`
}

// newID returns a random detection ID.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// auditEvent is the anomaly event that records x.
func (x Detection) auditEvent() store.AuditEvent {
	d := map[string]any{"id": x.ID, "rule": x.Rule, "evidence": x.Evidence}
	if x.TokenID != "" {
		d["jti"] = x.TokenID
	}
	if x.Response != "" {
		d["response"] = x.Response
	}
	return store.AuditEvent{Type: audit.Anomaly, Time: x.Time, Subject: x.Subject, ClientID: x.ClientID, Remote: x.Address, Detail: d}
}

// detectionOf reads back the detection an anomaly event records.
func detectionOf(e store.AuditEvent) Detection {
	str := func(k string) string { s, _ := e.Detail[k].(string); return s }
	ev, _ := e.Detail["evidence"].(map[string]any)
	return Detection{ID: str("id"), Rule: str("rule"), Time: e.Time, ClientID: e.ClientID, Subject: e.Subject,
		Address: e.Remote, TokenID: str("jti"), Evidence: ev, Response: str("response"), EventID: e.ID}
}

// AuditLister reads the audit trail (store.Store does).
type AuditLister interface {
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error)
}

// DetectionFilter selects detections. Zero fields select everything.
type DetectionFilter struct {
	Since    time.Time
	ClientID string
	// Before, when positive, selects the detections recorded before the
	// one whose EventID it is: the cursor of the next page.
	Before int64
	// Limit bounds the answer; zero means 1000.
	Limit int
}

// ListDetections returns the detections recorded in the audit trail,
// newest first. It is the one query behind portcullis anomalies and the
// management API.
func ListDetections(ctx context.Context, st AuditLister, f DetectionFilter) ([]Detection, error) {
	events, err := st.ListAudit(ctx, store.AuditFilter{Type: audit.Anomaly, Since: f.Since, ClientID: f.ClientID, Before: f.Before, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]Detection, 0, len(events))
	for _, e := range events {
		out = append(out, detectionOf(e))
	}
	return out, nil
}
