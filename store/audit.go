package store

import "time"

// AuditEvent is one entry of the security audit trail.
type AuditEvent struct {
	// ID orders events; the store assigns it.
	ID int64
	// UID, when set, identifies the event uniquely: storing an event whose
	// UID is already stored does nothing, so a batch retried after a
	// write whose answer was lost is stored once. The recorder sets it;
	// events without one (the CLI's) are always stored.
	UID       string
	Time      time.Time
	Type      string // for example token_issued, refresh_reuse, login_failed
	Subject   string // the user's sub, if any
	ClientID  string
	Remote    string // the client address, if the event came from a request
	RequestID string
	// Detail holds the rest: grant type, reason, jti; never a secret.
	Detail map[string]any
}

// AuditFilter selects audit events. Zero fields select everything.
type AuditFilter struct {
	Subject  string
	ClientID string
	Type     string
	Since    time.Time
	// Until, when set, selects events before it.
	Until time.Time
	// Before, when positive, selects events whose ID is below it: the
	// cursor of a page that ended at event Before.
	Before int64
	// Limit bounds the answer; zero means 1000.
	Limit int
}
