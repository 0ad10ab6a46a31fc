package sdk

import (
	"context"
	"iter"
	"net/url"
	"time"

	"github.com/portcullis/portcullis/registry"
)

// AuditService reads the security audit trail: /admin/v1/audit, with
// admin:audit:read.
type AuditService struct{ c *Client }

// AuditFilter selects audit events. Zero fields select everything.
type AuditFilter struct {
	Subject  string
	ClientID string
	// Type is an event type, such as token_issued or config_changed.
	Type string
	// Since and Until bound the events' times: Since <= time < Until.
	Since, Until time.Time
	ListOptions
}

func (f AuditFilter) values() url.Values {
	q := url.Values{}
	set(q, "sub", f.Subject)
	set(q, "client_id", f.ClientID)
	set(q, "type", f.Type)
	setTime(q, "since", f.Since)
	setTime(q, "until", f.Until)
	return f.ListOptions.values(q)
}

// List returns the events f selects, newest first.
func (s *AuditService) List(ctx context.Context, f AuditFilter) iter.Seq2[registry.AuditEvent, error] {
	return all[registry.AuditEvent](ctx, s.c, "audit", f.values())
}

// Page returns one page of events.
func (s *AuditService) Page(ctx context.Context, f AuditFilter) (Page[registry.AuditEvent], error) {
	return getPage[registry.AuditEvent](ctx, s.c, "audit", f.values())
}

// set adds k=v to q when v is not empty.
func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// setTime adds k as RFC 3339 to q when t is set.
func setTime(q url.Values, k string, t time.Time) {
	if !t.IsZero() {
		q.Set(k, t.UTC().Format(time.RFC3339Nano))
	}
}
