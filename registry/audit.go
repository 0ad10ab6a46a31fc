package registry

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// AuditEvent is one entry of the security audit trail as the management
// API shows it.
type AuditEvent struct {
	ID        int64          `json:"id"`
	Time      time.Time      `json:"time"`
	Type      string         `json:"type"`
	Subject   string         `json:"sub,omitempty"`
	ClientID  string         `json:"client_id,omitempty"`
	Remote    string         `json:"remote,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Detail    map[string]any `json:"detail,omitempty"`
}

// AuditEventFromStore is e as the management API shows it. Its detail
// never holds a secret: the store's events never do.
func AuditEventFromStore(e store.AuditEvent) AuditEvent {
	return AuditEvent{ID: e.ID, Time: e.Time, Type: e.Type, Subject: e.Subject, ClientID: e.ClientID,
		Remote: e.Remote, RequestID: e.RequestID, Detail: e.Detail}
}
