package people_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

type sessionPage struct {
	Items []registry.Session `json:"items"`
}

// TestSessions: a user's live sessions are listed by sid with the clients
// of their grants, never with the cookie's hash; ending one ends it alone,
// revokes its online grants as logout does and is audited; another user's
// session, an unknown sid and a reader's token are refused.
func TestSessions(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	st := e.AS.Store
	a, b := e.CreateUser(t, "a"), e.CreateUser(t, "b")
	now := time.Now().Truncate(time.Second)
	for _, ss := range []store.Session{
		{IDHash: "hash-a1", SID: "sid-a1", UserID: a.ID, AuthTime: now.Add(-time.Hour), AMR: []string{"pwd"}, ExpiresAt: now.Add(time.Hour)},
		{IDHash: "hash-a2", SID: "sid-a2", UserID: a.ID, AuthTime: now.Add(-time.Minute), AMR: []string{"pwd"}, ExpiresAt: now.Add(time.Hour)},
		{IDHash: "hash-b", SID: "sid-b", UserID: b.ID, AuthTime: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := st.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []store.Grant{
		{ID: "g-online", ClientID: e.AS.WebClientID},
		{ID: "g-offline", ClientID: e.AS.SPAClientID, Offline: true},
	} {
		g.UserID, g.SessionID, g.CreatedAt, g.ExpiresAt = a.ID, "sid-a1", now, now.Add(time.Hour)
		if err := st.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := st.IssueTokens(ctx, g.ID, "jti-"+g.ID, now.Add(time.Hour), nil); err != nil {
			t.Fatal(err)
		}
	}

	list := e.Must(t, admintest.Req{Method: "GET", Path: "users/" + a.ID + "/sessions", Scope: usersR}, http.StatusOK)
	if bytes.Contains(list.Body, []byte("hash-a")) {
		t.Fatalf("the list shows a cookie's hash: %s", list.Body)
	}
	var p sessionPage
	list.Decode(t, &p)
	if len(p.Items) != 2 || p.Items[0].SID != "sid-a2" || p.Items[1].SID != "sid-a1" {
		t.Fatalf("sessions %+v, want sid-a2 then sid-a1", p.Items)
	}
	s1 := p.Items[1]
	if want := []string{e.AS.SPAClientID, e.AS.WebClientID}; s1.Subject != a.ID || !slices.Equal(s1.ClientIDs, want) ||
		!s1.CreatedAt.Equal(now.Add(-time.Hour)) || !s1.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("session sid-a1 %+v, want %s's with clients %v", s1, a.ID, want)
	}
	if s2 := p.Items[0]; s2.ClientIDs == nil || len(s2.ClientIDs) != 0 {
		t.Errorf("session sid-a2 has clients %v, want an empty list", s2.ClientIDs)
	}

	for _, c := range []struct {
		name, method, path, scope string
		status                    int
	}{
		{"list an unknown user's", "GET", "users/nobody/sessions", usersR, http.StatusNotFound},
		{"end another user's session", "DELETE", "users/" + a.ID + "/sessions/sid-b", usersW, http.StatusNotFound},
		{"end an unknown sid", "DELETE", "users/" + a.ID + "/sessions/sid-none", usersW, http.StatusNotFound},
		{"end an unknown user's", "DELETE", "users/nobody/sessions/sid-a1", usersW, http.StatusNotFound},
		{"end with the read scope", "DELETE", "users/" + a.ID + "/sessions/sid-a1", usersR, http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.Must(t, admintest.Req{Method: c.method, Path: c.path, Scope: c.scope}, c.status)
			if c.status == http.StatusNotFound {
				r.Problem(t)
			}
		})
	}
	if got, _ := st.ListSessions(ctx, a.ID, now); len(got) != 2 {
		t.Fatalf("a refused request ended a session: %d left", len(got))
	}

	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + a.ID + "/sessions/sid-a1", Scope: usersW}, http.StatusNoContent)
	if _, err := st.GetSession(ctx, "hash-a1", now); err == nil {
		t.Error("the ended session is still found by its cookie")
	}
	for _, h := range []string{"hash-a2", "hash-b"} {
		if _, err := st.GetSession(ctx, h, now); err != nil {
			t.Errorf("session %s ended too: %v", h, err)
		}
	}
	for id, want := range map[string]bool{"g-online": true, "g-offline": false} {
		if ok, _ := st.IsRevoked(ctx, "jti-"+id); ok != want {
			t.Errorf("access token of %s revoked = %v, want %v", id, ok, want)
		}
	}
	evs := e.Audit(t, audit.SessionEnded)
	if len(evs) != 1 || evs[0].Subject != a.ID || evs[0].Detail["sid"] != "sid-a1" ||
		evs[0].Detail["revoked_grants"] != float64(1) || evs[0].Detail["actor_client_id"] != "admin" {
		t.Errorf("audit %+v", evs)
	}
	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + a.ID + "/sessions/sid-a1", Scope: usersW}, http.StatusNotFound)
}
