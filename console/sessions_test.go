package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/store"
)

// endButton finds the "End session" forms of a user's page.
var endButton = regexp.MustCompile(`action="/console/users/[^/"]+/sessions/([^/"]+)/end"`)

// An administrator sees a user's sessions with the applications signed in
// through them and ends one: the session is gone, its online grants
// revoked, its offline ones kept. A viewer sees the sessions without the
// button, and their crafted POST is refused.
func TestEndSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nora := e.userID(t, plainUser)
	e.grant(t, plainUser) // a session, and an offline grant of the web app in it

	viewer := e.newBrowser(t)
	vtok := csrf(t, viewer.signIn(viewerUser))
	p := viewer.get("users/" + nora)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Sessions (signed-in browsers)") || !strings.Contains(p.Body, e.WebClientID) {
		t.Fatalf("a viewer does not see nora's session: %d\n%s", p.Status, p.Body)
	}
	if endButton.MatchString(p.Body) || strings.Contains(p.Body, ">End session") {
		t.Error("a viewer is offered to end a session")
	}

	b := e.newBrowser(t)
	tok := csrf(t, b.signIn(adminUser))
	p = b.get("users/" + nora)
	m := endButton.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no End session button for nora's session:\n%s", p.Body)
	}
	sid := m[1]
	if live, _ := e.Store.ListSessions(ctx, nora, time.Now()); len(live) != 1 || live[0].SID != sid {
		t.Fatalf("the button names %q; nora's sessions are %+v", sid, live)
	}

	path := "users/" + nora + "/sessions/" + url.PathEscape(sid) + "/end"
	if p := viewer.post(path, url.Values{"csrf": {vtok}}); p.Status != http.StatusForbidden {
		t.Errorf("a viewer's POST: %d, want 403", p.Status)
	}
	if p := b.post(path, url.Values{}); p.Status != http.StatusForbidden {
		t.Errorf("a POST without the CSRF token: %d, want 403", p.Status)
	}
	if live, _ := e.Store.ListSessions(ctx, nora, time.Now()); len(live) != 1 {
		t.Fatal("a refused POST ended the session")
	}

	resp := b.postFirst(path, url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/users/"+nora {
		t.Fatalf("the POST answered %d to %q, want 303 to the user's page", resp.StatusCode, resp.Header.Get("Location"))
	}
	p = b.get("users/" + nora)
	if !strings.Contains(p.Body, "Session ended") || !strings.Contains(p.Body, "No live sessions.") {
		t.Errorf("after ending it the page does not say so:\n%s", p.Body)
	}
	if live, _ := e.Store.ListSessions(ctx, nora, time.Now()); len(live) != 0 {
		t.Errorf("nora still has %d sessions", len(live))
	}
	// The grant was authorized for offline access: it outlives the session.
	if grants, _ := e.Store.ListGrants(ctx, store.GrantFilter{UserID: nora, Live: true}); len(grants) != 1 {
		t.Errorf("nora has %d live grants, want the offline one", len(grants))
	}
	evs, err := e.Store.ListAudit(ctx, store.AuditFilter{Type: audit.SessionEnded})
	if err != nil || len(evs) != 1 || evs[0].Subject != nora || evs[0].Detail["sid"] != sid ||
		evs[0].Detail["actor_sub"] != e.userID(t, adminUser) || evs[0].Detail["actor_client_id"] != console.ClientID {
		t.Errorf("session_ended events %+v, %v", evs, err)
	}
	if p := b.post(path, url.Values{"csrf": {tok}}); p.Status != http.StatusNotFound {
		t.Errorf("ending it again: %d, want 404", p.Status)
	}
}

// postFirst sends form to path and returns the console's first answer,
// its redirect not followed.
func (b *browser) postFirst(path string, form url.Values) *http.Response {
	b.t.Helper()
	hc := *b.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.PostForm(b.url(path), form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Changes made through the console are audited under the user who made
// them (actor_sub) and the console's client (actor_client_id).
func TestChangesAuditedUnderTheUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.newBrowser(t)
	tok := csrf(t, b.signIn(adminUser))
	admin := e.userID(t, adminUser)
	if p := b.post("users", url.Values{"csrf": {tok}, "username": {"zed"}, "password": {"zed-password-1"}}); !strings.Contains(p.Body, "User zed created.") {
		t.Fatalf("%d\n%s", p.Status, p.Body)
	}
	zed := e.userID(t, "zed")
	if p := b.post("users/"+zed+"/disabled", url.Values{"csrf": {tok}, "disabled": {"true"}}); !strings.Contains(p.Body, "User disabled") {
		t.Fatalf("%d\n%s", p.Status, p.Body)
	}
	if p := b.post("keys/rotate", url.Values{"csrf": {tok}}); p.Status != http.StatusOK {
		t.Fatalf("%d\n%s", p.Status, p.Body)
	}
	for _, typ := range []string{audit.ConfigChanged, audit.UserDisabled, audit.KeyRotated} {
		t.Run(typ, func(t *testing.T) {
			evs, err := e.Store.ListAudit(ctx, store.AuditFilter{Type: typ})
			if err != nil || len(evs) == 0 {
				t.Fatalf("no %s event: %v", typ, err)
			}
			d := evs[0].Detail
			if d["actor_sub"] != admin || d["actor_client_id"] != console.ClientID {
				t.Errorf("%s names actor_sub %v and actor_client_id %v, want %s and %s", typ, d["actor_sub"], d["actor_client_id"], admin, console.ClientID)
			}
		})
	}
}
