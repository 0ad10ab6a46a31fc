package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// TestCLIUsersSessions: users sessions lists a user's live sessions by
// sid with the clients of their grants; users end-session ends one, as
// logout does (its online grants revoked, the other session kept), is
// audited, and refuses another user's sid.
func TestCLIUsersSessions(t *testing.T) {
	conf, st := revokeFixture(t)
	ctx := context.Background()
	var ada, bob userView
	cliJSON(t, &ada, "users", "add", "--config", conf, "--username", "ada")
	cliJSON(t, &bob, "users", "add", "--config", conf, "--username", "bob")
	now := time.Now()
	for _, s := range []store.Session{
		{IDHash: "h1", SID: "sid-1", UserID: ada.Sub, AuthTime: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
		{IDHash: "h2", SID: "sid-2", UserID: ada.Sub, AuthTime: now, ExpiresAt: now.Add(time.Hour)},
		{IDHash: "hb", SID: "sid-b", UserID: bob.Sub, AuthTime: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	g := store.Grant{ID: "g1", UserID: ada.Sub, ClientID: "web", SessionID: "sid-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := st.IssueTokens(ctx, "g1", "jti-g1", now.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}

	var listed []registry.Session
	cliJSON(t, &listed, "users", "sessions", "--config", conf, "ada")
	if len(listed) != 2 || listed[0].SID != "sid-2" || listed[1].SID != "sid-1" || strings.Join(listed[1].ClientIDs, ",") != "web" {
		t.Fatalf("sessions %+v", listed)
	}
	if table := cli(t, nil, "users", "sessions", "--config", conf, "ada"); !hasRow(table, "sid-1", "web") || strings.Contains(table, "h1") {
		t.Errorf("the table:\n%s", table)
	}
	if out := cliFails(t, nil, "users", "end-session", "--config", conf, "ada", "sid-b"); !strings.Contains(out, `no live session "sid-b"`) {
		t.Errorf("ending another user's session: %s", out)
	}
	cli(t, nil, "users", "end-session", "--config", conf, "ada", "sid-1")
	if _, err := st.GetSession(ctx, "h1", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the ended session survived: %v", err)
	}
	for _, h := range []string{"h2", "hb"} {
		if _, err := st.GetSession(ctx, h, time.Now()); err != nil {
			t.Errorf("session %s ended too: %v", h, err)
		}
	}
	if ok, _ := st.IsRevoked(ctx, "jti-g1"); !ok {
		t.Error("the session's grant was not revoked")
	}
	var events []struct {
		Subject string         `json:"sub"`
		Detail  map[string]any `json:"detail"`
	}
	cliJSON(t, &events, "audit", "list", "--config", conf, "--type", "session_ended")
	if len(events) != 1 || events[0].Detail["sid"] != "sid-1" || events[0].Detail["revoked_grants"] != float64(1) {
		t.Errorf("session_ended events %+v", events)
	}
}
