package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// TestBKeys: the list shows public parts and lifecycle only; rotate adds a
// pending key as the CLI does; bad rotations are 400 naming the field.
func TestBKeys(t *testing.T) {
	e := newEnv(t)
	var list struct {
		Items []registry.Key `json:"items"`
	}
	r := e.Must(t, admintest.Req{Method: "GET", Path: "keys", Scope: registry.ScopeKeysRead}, http.StatusOK)
	r.Decode(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("%d keys, want ES256 and RS256", len(list.Items))
	}
	for _, k := range list.Items {
		if k.State != "active" || k.KID == "" || !strings.Contains(string(k.Public), `"kid":"`+k.KID+`"`) {
			t.Errorf("key %+v", k)
		}
	}
	for _, private := range []string{`"d"`, `"p"`, `"q"`, `"dp"`} {
		if strings.Contains(string(r.Body), private+":") {
			t.Errorf("the list holds private key material %s", private)
		}
	}

	var k registry.Key
	before := time.Now()
	rr := e.Must(t, admintest.Req{Method: "POST", Path: "keys/rotate", Scope: registry.ScopeKeysWrite, Body: `{"alg":"RS256","activate_in":"1h"}`}, http.StatusCreated)
	rr.Decode(t, &k)
	if k.Alg != "RS256" || k.State != "pending" || k.ActivatesAt.Before(before.Add(time.Hour-time.Second)) || rr.Header.Get("Location") == "" {
		t.Errorf("rotated %+v", k)
	}
	// An empty body rotates the first algorithm after the default delay.
	e.Must(t, admintest.Req{Method: "POST", Path: "keys/rotate", Scope: registry.ScopeKeysWrite}, http.StatusCreated).Decode(t, &k)
	if k.Alg != "ES256" || k.ActivatesAt.Before(before.Add(9*time.Minute)) {
		t.Errorf("rotated by default %+v", k)
	}
	e.Must(t, admintest.Req{Method: "GET", Path: "keys", Scope: registry.ScopeKeysRead}, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 4 {
		t.Errorf("%d keys after two rotations, want 4", len(list.Items))
	}
	if evs := e.Audit(t, audit.KeyRotated); len(evs) != 2 || evs[0].Detail["actor_client_id"] != "admin" {
		t.Errorf("key_rotated events %+v", evs)
	}
	for _, c := range []struct{ name, body, field string }{
		{"unknown alg", `{"alg":"HS256"}`, "alg"},
		{"alg the deployment does not keep", `{"alg":"EdDSA"}`, "alg"},
		{"negative delay", `{"activate_in":"-1m"}`, "activate_in"},
		{"delay not a duration", `{"activate_in":"soon"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.Must(t, admintest.Req{Method: "POST", Path: "keys/rotate", Scope: registry.ScopeKeysWrite, Body: c.body}, http.StatusBadRequest).Problem(t)
			if c.field != "" && !admintest.Names(p, c.field) {
				t.Errorf("problem %+v does not name %s", p, c.field)
			}
		})
	}
}

// TestBAudit: the trail filtered by type, subject and time, newest first,
// page by page; bad times are 400 naming the parameter.
func TestBAudit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var evs []store.AuditEvent
	for i := range 5 {
		evs = append(evs, store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Minute), Type: audit.LoginFailed,
			Subject: fmt.Sprintf("s%d", i%2), ClientID: "web", Detail: map[string]any{"n": i}})
	}
	if err := e.AS.Store.AppendAudit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	type auditPage struct {
		Items      []registry.AuditEvent `json:"items"`
		NextCursor string                `json:"next_cursor"`
	}
	ns := func(p auditPage) string {
		var out []any
		for _, e := range p.Items {
			out = append(out, e.Detail["n"])
		}
		return fmt.Sprint(out)
	}
	since, until := t0.Add(time.Minute).Format(time.RFC3339), t0.Add(4*time.Minute).Format(time.RFC3339)
	for _, c := range []struct{ name, query, want string }{
		{"type, newest first", "type=login_failed", "[4 3 2 1 0]"},
		{"subject", "type=login_failed&sub=s1", "[3 1]"},
		{"since and until", "type=login_failed&since=" + since + "&until=" + until, "[3 2 1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p auditPage
			e.Must(t, admintest.Req{Method: "GET", Path: "audit?" + c.query, Scope: registry.ScopeAuditRead}, http.StatusOK).Decode(t, &p)
			if ns(p) != c.want {
				t.Errorf("%s, want %s", ns(p), c.want)
			}
		})
	}
	var got []string
	for cursor := ""; ; {
		var p auditPage
		e.Must(t, admintest.Req{Method: "GET", Path: "audit?type=login_failed&limit=2&cursor=" + cursor, Scope: registry.ScopeAuditRead}, http.StatusOK).Decode(t, &p)
		got = append(got, ns(p))
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != "[[4 3] [2 1] [0]]" {
		t.Errorf("pages %v", got)
	}
	for _, c := range []struct{ name, query, field string }{
		{"since not RFC 3339", "since=yesterday", "since"},
		{"until not RFC 3339", "until=2026-03-01", "until"},
		{"until before since", "since=" + until + "&until=" + since, "until"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.Must(t, admintest.Req{Method: "GET", Path: "audit?" + c.query, Scope: registry.ScopeAuditRead}, http.StatusBadRequest).Problem(t)
			if !admintest.Names(p, c.field) {
				t.Errorf("problem %+v does not name %s", p, c.field)
			}
		})
	}
}

// TestBUsage: usage.Query's report by day; bad parameters are 400 naming
// them.
func TestBUsage(t *testing.T) {
	e := newEnv(t)
	h := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	err := e.AS.Store.AddUsage(context.Background(), "b1", []store.UsageCount{
		{Hour: h, ClientID: "svc", API: "https://api", Metric: usage.MetricTokensIssued, Detail: "client_credentials", Count: 3},
		{Hour: h.Add(time.Hour), ClientID: "svc", API: "https://api", Metric: usage.MetricTokensIssued, Detail: "client_credentials", Count: 4},
		{Hour: h, ClientID: "other", API: "https://api", Metric: usage.MetricAPICalls, Detail: "allowed", Count: 9},
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep usage.Report
	e.Must(t, admintest.Req{Method: "GET", Path: "usage?by=day&client_id=svc&since=2026-03-01T00:00:00Z", Scope: registry.ScopeUsageRead}, http.StatusOK).Decode(t, &rep)
	if rep.By != "day" || len(rep.Rows) != 1 || rep.Rows[0].TokensIssued["client_credentials"] != 7 {
		t.Errorf("report %+v", rep)
	}
	for _, c := range []struct{ name, query, field string }{
		{"by a week", "by=week", "by"},
		{"since not a time", "since=today", "since"},
		{"until before since", "since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "until"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.Must(t, admintest.Req{Method: "GET", Path: "usage?" + c.query, Scope: registry.ScopeUsageRead}, http.StatusBadRequest).Problem(t)
			if !admintest.Names(p, c.field) {
				t.Errorf("problem %+v does not name %s", p, c.field)
			}
		})
	}
}

// TestBAnomalies: the detections, newest first, page by page.
func TestBAnomalies(t *testing.T) {
	e := newEnv(t)
	t0 := time.Now().Add(-time.Hour)
	var evs []store.AuditEvent
	for i := range 3 {
		evs = append(evs, store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Minute), Type: audit.Anomaly, ClientID: "svc",
			Detail: map[string]any{"id": fmt.Sprintf("d%d", i), "rule": "invalid_client", "evidence": map[string]any{"n": i}}})
	}
	if err := e.AS.Store.AppendAudit(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for cursor := ""; ; {
		var p struct {
			Items      []usage.Detection `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		e.Must(t, admintest.Req{Method: "GET", Path: "anomalies?client_id=svc&limit=2&cursor=" + cursor, Scope: registry.ScopeUsageRead}, http.StatusOK).Decode(t, &p)
		for _, d := range p.Items {
			got = append(got, d.ID+"/"+d.Rule)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != "[d2/invalid_client d1/invalid_client d0/invalid_client]" {
		t.Errorf("detections %v", got)
	}
	var recent struct {
		Items []usage.Detection `json:"items"`
	}
	e.Must(t, admintest.Req{Method: "GET", Path: "anomalies?since=" + t0.Add(90*time.Second).UTC().Format(time.RFC3339), Scope: registry.ScopeUsageRead}, http.StatusOK).Decode(t, &recent)
	if len(recent.Items) != 1 || recent.Items[0].ID != "d2" {
		t.Errorf("detections since t0+90s: %+v, want d2", recent.Items)
	}
	p := e.Must(t, admintest.Req{Method: "GET", Path: "anomalies?since=last-week", Scope: registry.ScopeUsageRead}, http.StatusBadRequest).Problem(t)
	if !admintest.Names(p, "since") {
		t.Errorf("problem %+v does not name since", p)
	}
}
