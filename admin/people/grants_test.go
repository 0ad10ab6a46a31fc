package people_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
)

const (
	grantsR = registry.ScopeGrantsRead
	grantsW = registry.ScopeGrantsWrite
)

type grantPage struct {
	Items      []registry.Grant `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// TestBGrants: list with filters and pages, newest first; read with an
// ETag; revoke with If-Match.
func TestBGrants(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	a, b := e.CreateUser(t, "a"), e.CreateUser(t, "b")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	e.Grant(t, "g1", a.ID, e.AS.WebClientID, t0)
	e.Grant(t, "g2", a.ID, e.AS.SPAClientID, t0.Add(time.Minute))
	e.Grant(t, "g3", b.ID, e.AS.WebClientID, t0.Add(2*time.Minute))
	if err := e.AS.Store.RevokeGrant(ctx, "g1", time.Now()); err != nil {
		t.Fatal(err)
	}
	ids := func(p grantPage) string {
		var out []string
		for _, g := range p.Items {
			out = append(out, g.ID)
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct{ name, query, want string }{
		{"all, newest first", "grants", "[g3 g2 g1]"},
		{"by user", "grants?user_id=" + a.ID, "[g2 g1]"},
		{"by client", "grants?client_id=" + e.AS.WebClientID, "[g3 g1]"},
		{"live", "grants?live=true", "[g3 g2]"},
		{"user route", "users/" + a.ID + "/grants", "[g2 g1]"},
		{"user route, live", "users/" + a.ID + "/grants?live=true", "[g2]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p grantPage
			e.Must(t, admintest.Req{Method: "GET", Path: c.query, Scope: grantsR}, http.StatusOK).Decode(t, &p)
			if ids(p) != c.want || p.NextCursor != "" {
				t.Errorf("%s (next %q), want %s", ids(p), p.NextCursor, c.want)
			}
		})
	}
	var p1, p2 grantPage
	e.Must(t, admintest.Req{Method: "GET", Path: "grants?limit=2", Scope: grantsR}, http.StatusOK).Decode(t, &p1)
	e.Must(t, admintest.Req{Method: "GET", Path: "grants?limit=2&cursor=" + p1.NextCursor, Scope: grantsR}, http.StatusOK).Decode(t, &p2)
	if ids(p1) != "[g3 g2]" || ids(p2) != "[g1]" || p2.NextCursor != "" {
		t.Errorf("pages %s then %s", ids(p1), ids(p2))
	}
	if g := p1.Items[1]; g.Subject != a.ID || g.ClientID != e.AS.SPAClientID || !g.CreatedAt.Equal(t0.Add(time.Minute)) || !g.RevokedAt.IsZero() {
		t.Errorf("grant g2 %+v", g)
	}

	r := e.Must(t, admintest.Req{Method: "GET", Path: "grants/g3", Scope: grantsR}, http.StatusOK)
	etag := r.Header.Get("ETag")
	e.Must(t, admintest.Req{Method: "DELETE", Path: "grants/g3", Scope: grantsW, IfMatch: `"stale"`}, http.StatusPreconditionFailed).Problem(t)
	e.Must(t, admintest.Req{Method: "DELETE", Path: "grants/g3", Scope: grantsW, IfMatch: etag}, http.StatusNoContent)
	var g3 registry.Grant
	e.Must(t, admintest.Req{Method: "GET", Path: "grants/g3", Scope: grantsR}, http.StatusOK).Decode(t, &g3)
	if g3.RevokedAt.IsZero() {
		t.Error("the revoked grant shows no revoked_at")
	}
	// Revoking it again succeeds and is not audited again.
	e.Must(t, admintest.Req{Method: "DELETE", Path: "grants/g3", Scope: grantsW}, http.StatusNoContent)
	if evs := e.Audit(t, audit.GrantsRevoked); len(evs) != 1 || evs[0].Detail["grant_id"] != "g3" || evs[0].Subject != b.ID {
		t.Errorf("grants_revoked events %+v", evs)
	}

	for _, c := range []struct {
		name string
		req  admintest.Req
		want int
	}{
		{"live not a boolean", admintest.Req{Method: "GET", Path: "grants?live=maybe", Scope: grantsR}, 400},
		{"unknown grant", admintest.Req{Method: "GET", Path: "grants/nope", Scope: grantsR}, 404},
		{"revoke unknown grant", admintest.Req{Method: "DELETE", Path: "grants/nope", Scope: grantsW}, 404},
		{"grants of an unknown user", admintest.Req{Method: "GET", Path: "users/nobody/grants", Scope: grantsR}, 404},
	} {
		t.Run(c.name, func(t *testing.T) { e.Must(t, c.req, c.want).Problem(t) })
	}
}

// TestBRevocations: each form does what it names; anything else is 400
// naming the field.
func TestBRevocations(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	u := e.CreateUser(t, "victim")
	e.Grant(t, "g-u", u.ID, e.AS.WebClientID, time.Now().Add(-time.Minute))

	var res registry.RevocationResult
	before := time.Now()
	e.Must(t, admintest.Req{Method: "POST", Path: "revocations", Scope: grantsW, Body: `{"sub":"` + u.ID + `"}`}, http.StatusOK).Decode(t, &res)
	if res.GrantsRevoked != 1 || !res.NotBefore.After(before) || res.NotBefore.After(time.Now()) {
		t.Errorf("result %+v: want one grant and a not_before passed by the answer", res)
	}
	if nb, _ := e.AS.Store.NotBefore(ctx, "any-client", u.ID); !nb.Equal(res.NotBefore) {
		t.Errorf("the store's cutoff %v, answered %v", nb, res.NotBefore)
	}

	e.Must(t, admintest.Req{Method: "POST", Path: "revocations", Scope: grantsW, Body: `{"client_id":"` + e.AS.ClientID + `"}`}, http.StatusOK).Decode(t, &res)
	if nb, _ := e.AS.Store.NotBefore(ctx, e.AS.ClientID, ""); nb.IsZero() || !nb.Equal(res.NotBefore) {
		t.Errorf("client cutoff %v, answered %v", nb, res.NotBefore)
	}

	e.Must(t, admintest.Req{Method: "POST", Path: "revocations", Scope: grantsW, Body: `{"jti":"jti-1"}`}, http.StatusOK).Decode(t, &res)
	if ok, err := e.AS.Store.IsRevoked(ctx, "jti-1"); !ok || err != nil {
		t.Errorf("jti-1 revoked %v (%v)", ok, err)
	}
	exp := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	e.Must(t, admintest.Req{Method: "POST", Path: "revocations", Scope: grantsW, Body: `{"jti":"jti-2","expires_at":"` + exp + `"}`}, http.StatusOK)
	if ok, _ := e.AS.Store.IsRevoked(ctx, "jti-2"); !ok {
		t.Error("jti-2 not revoked")
	}
	if n := len(e.Audit(t, audit.TokenRevoked)); n != 2 {
		t.Errorf("%d token_revoked events, want 2", n)
	}
	if evs := e.Audit(t, audit.GrantsRevoked); len(evs) != 2 || evs[1].Subject != u.ID || evs[0].ClientID != e.AS.ClientID {
		t.Errorf("grants_revoked events %+v", evs)
	}

	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for _, c := range []struct{ name, body, field string }{
		{"nothing named", `{}`, "jti"},
		{"jti and client_id", `{"jti":"x","client_id":"c"}`, "client_id"},
		{"jti and sub", `{"jti":"x","sub":"s"}`, "sub"},
		{"expires_at without jti", `{"sub":"s","expires_at":"` + exp + `"}`, "expires_at"},
		{"expires_at in the past", `{"jti":"x","expires_at":"` + past + `"}`, "expires_at"},
		{"expires_at not a time", `{"jti":"x","expires_at":"soon"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.Must(t, admintest.Req{Method: "POST", Path: "revocations", Scope: grantsW, Body: c.body}, http.StatusBadRequest).Problem(t)
			if c.field != "" && !admintest.Names(p, c.field) {
				t.Errorf("problem %+v does not name %s", p, c.field)
			}
		})
	}
}
