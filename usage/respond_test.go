package usage_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// jtiOf reads a JWT's jti without verifying it (the server made it).
func jtiOf(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		JTI string `json:"jti"`
	}
	if err != nil || json.Unmarshal(b, &c) != nil || c.JTI == "" {
		t.Fatalf("no jti in %q", jwt)
	}
	return c.JTI
}

// introspectActive introspects tok as the test client.
func introspectActive(t *testing.T, as *authservertest.Server, tok string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, as.URL+"/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(as.ClientID, as.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("introspect: %d", resp.StatusCode)
	}
	return out.Active
}

// TestResponseRevokesToken: token_theft with revoke_token revokes the
// real token through the store, as /revoke would, so introspection (and
// the guards polling /revocations) refuse it; the response is audited.
func TestResponseRevokesToken(t *testing.T) {
	events, obs := &audittest.Log{}, newCounts()
	as := authservertest.New(t)
	tok := as.Token(t, "read:users")
	jti := jtiOf(t, tok)
	var a usage.Anomalies
	a.Rules.TokenTheft.Response = usage.RespondRevokeToken
	d := newDetector(t, a, usage.Options{Auditor: events, Observer: obs, Revoker: as.Store})
	if !introspectActive(t, as, tok) {
		t.Fatal("the fresh token is not active")
	}
	for i := range 4 {
		e := call(jti, fmt.Sprintf("198.51.100.%d", i))
		e.ClientID = as.ClientID
		d.Observe(e)
	}
	d.Close() // the response is done when Close returns
	if revoked, err := as.Store.IsRevoked(context.Background(), jti); err != nil || !revoked {
		t.Fatalf("IsRevoked = %v, %v", revoked, err)
	}
	if introspectActive(t, as, tok) {
		t.Error("the token is still active after the response")
	}
	r := events.OfType(audit.TokenRevoked)
	if len(r) != 1 || r[0].Detail["jti"] != jti || r[0].Detail["reason"] != "anomaly" || r[0].Detail["rule"] != usage.RuleTokenTheft ||
		r[0].Detail["anomaly"] != events.OfType(audit.Anomaly)[0].Detail["id"] {
		t.Errorf("token_revoked events = %+v", r)
	}
	if n := obs.get(func(c *counts) map[string]int { return c.responses }, usage.RespondRevokeToken); n != 1 {
		t.Errorf("responses counted: %v", obs.responses)
	}
}

// viewOf lets a test server use a Suspensions view made on its own store
// after it started.
type viewOf struct{ v *usage.Suspensions }

func (r *viewOf) SuspendedUntil(id string) (time.Time, bool) { return r.v.SuspendedUntil(id) }

// TestResponseSuspendsClient: token_theft with suspend_client suspends
// the token's client; the server then answers it invalid_client saying
// until when. Another instance's view learns of it at its next poll;
// resuming (what portcullis clients resume writes) lets the client in
// again at the next.
func TestResponseSuspendsClient(t *testing.T) {
	ctx, events, clk := context.Background(), &audittest.Log{}, newClock()
	view := &viewOf{}
	as := authservertest.New(t, func(c *authserver.Config) { c.Auditor, c.Suspensions = events, view })
	view.v = usage.NewSuspensions(as.Store, clk.Now)
	other := usage.NewSuspensions(as.Store, clk.Now) // another instance's
	var a usage.Anomalies
	a.Rules.TokenTheft.Response = usage.RespondSuspendClient
	a.Rules.TokenTheft.SuspendFor = 30 * time.Minute
	d := newDetector(t, a, usage.Options{Auditor: events, Suspensions: view.v, Now: clk.Now})
	for i := range 4 {
		// The client's own token (client_credentials).
		e := call("jti-x", fmt.Sprintf("198.51.100.%d", i))
		e.ClientID, e.Subject = as.ClientID, as.ClientID
		d.Observe(e)
	}
	d.Close()
	until := clk.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339)

	status, body := tokenAnswer(t, as, as.ClientID, as.ClientSecret)
	if status != http.StatusUnauthorized || !strings.Contains(body, `"invalid_client"`) || !strings.Contains(body, "suspended until "+until) {
		t.Fatalf("token request of the suspended client: %d %s", status, body)
	}
	if status, body := tokenAnswer(t, as, as.ClientID, "wrong"); status != http.StatusUnauthorized || strings.Contains(body, "suspended") {
		t.Errorf("a wrong secret of a suspended client must fail as any wrong secret does: %d %s", status, body)
	}
	if n := len(events.OfType(audit.SuspendedRefused)); n != 1 {
		t.Errorf("%d client_suspended_refused events, want 1", n)
	}
	s := events.OfType(audit.ClientSuspended)
	if len(s) != 1 || s[0].ClientID != as.ClientID || s[0].Detail["until"] != until || s[0].Detail["rule"] != usage.RuleTokenTheft {
		t.Errorf("client_suspended events = %+v", s)
	}
	if _, ok := other.SuspendedUntil(as.ClientID); ok {
		t.Fatal("the other view knew before reading the store")
	}
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := other.SuspendedUntil(as.ClientID); !ok {
		t.Fatal("the other view did not learn of the suspension from the store")
	}

	if was, err := as.Store.ResumeClient(ctx, as.ClientID, clk.Now()); err != nil || !was {
		t.Fatalf("ResumeClient = %v, %v", was, err)
	}
	if err := view.v.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if status := tokenRequest(t, as, as.ClientID, as.ClientSecret); status != http.StatusOK {
		t.Errorf("the resumed client: %d", status)
	}
}

// TestUserTokenSuspendsNothing: token_theft with suspend_client, raised
// by a user's token (a user of a public client sending their own token
// with four User-Agents), is recorded but suspends nothing: one user
// would otherwise shut out every other user of the client.
func TestUserTokenSuspendsNothing(t *testing.T) {
	events, obs := &audittest.Log{}, newCounts()
	as := authservertest.New(t)
	susp := usage.NewSuspensions(as.Store, nil)
	var a usage.Anomalies
	a.Rules.TokenTheft.Response = usage.RespondSuspendClient
	d := newDetector(t, a, usage.Options{Auditor: events, Observer: obs, Suspensions: susp})
	for i := range 4 {
		e := call("jti-u", "198.51.100.1")
		e.ClientID, e.Subject, e.UserAgent = as.SPAClientID, "user-1", fmt.Sprint("agent/", i)
		d.Observe(e)
	}
	d.Close()
	if n := len(events.OfType(audit.Anomaly)); n != 1 {
		t.Fatalf("%d anomalies, want 1", n)
	}
	if _, ok := susp.SuspendedUntil(as.SPAClientID); ok || len(events.OfType(audit.ClientSuspended)) != 0 {
		t.Fatal("a user's token suspended the client")
	}
	if list, _ := as.Store.ListSuspensions(context.Background(), time.Now()); len(list) != 0 {
		t.Errorf("suspensions stored: %+v", list)
	}
}

// TestSuspensionEndsAndIsNotShortened: a suspension ends by itself, and
// an automatic one never shortens a longer one in force.
func TestSuspensionEndsAndIsNotShortened(t *testing.T) {
	ctx, clk := context.Background(), newClock()
	as := authservertest.New(t)
	susp := usage.NewSuspensions(as.Store, clk.Now)
	long := clk.Now().Add(2 * time.Hour).Truncate(time.Second)
	if err := as.Store.SuspendClient(ctx, store.Suspension{ClientID: "c", Until: long, Reason: "operator", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := susp.Load(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := susp.Extend(ctx, store.Suspension{ClientID: "c", Until: clk.Now().Add(time.Hour), Reason: "anomaly", CreatedAt: clk.Now()})
	if err != nil || !got.Equal(long) {
		t.Fatalf("Extend = %v, %v; want the operator's %v kept", got, err, long)
	}
	if list, _ := as.Store.ListSuspensions(ctx, clk.Now()); len(list) != 1 || list[0].Reason != "operator" {
		t.Errorf("the store's suspension changed: %+v", list)
	}
	if until, ok := susp.SuspendedUntil("c"); !ok || !until.Equal(long) {
		t.Errorf("SuspendedUntil = %v, %v", until, ok)
	}
	// Another instance (or an operator) suspends for longer after this
	// view was read: the store keeps the longer suspension.
	longer := long.Add(time.Hour)
	if err := as.Store.SuspendClient(ctx, store.Suspension{ClientID: "c", Until: longer, Reason: "elsewhere", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	got, err = susp.Extend(ctx, store.Suspension{ClientID: "c", Until: long.Add(time.Minute), Reason: "anomaly", CreatedAt: clk.Now()})
	if err != nil || !got.Equal(longer) {
		t.Fatalf("Extend over a stale view = %v, %v; want the longer %v kept", got, err, longer)
	}
	if list, _ := as.Store.ListSuspensions(ctx, clk.Now()); len(list) != 1 || list[0].Reason != "elsewhere" {
		t.Errorf("a stale view shortened the suspension: %+v", list)
	}
	clk.Add(3 * time.Hour)
	if _, ok := susp.SuspendedUntil("c"); ok {
		t.Error("still suspended when the period ended")
	}
}

// revokerFunc is a Revoker for tests that need no store.
type revokerFunc func(store.Revocation) error

func (f revokerFunc) RevokeToken(_ context.Context, r store.Revocation) error { return f(r) }

// TestDetectorAfterClose: a request still running at shutdown may raise a
// detection after Close: it is recorded, and its response is not carried
// out, without a panic or a wait.
func TestDetectorAfterClose(t *testing.T) {
	events, obs := &audittest.Log{}, newCounts()
	var a usage.Anomalies
	a.Rules.TokenTheft.Response = usage.RespondRevokeToken
	revoked := 0
	d := newDetector(t, a, usage.Options{Auditor: events, Observer: obs,
		Revoker: revokerFunc(func(store.Revocation) error { revoked++; return nil })})
	d.Close()
	for i := range 300 { // more tokens than the response queue holds
		for j := range 4 {
			d.Observe(call(fmt.Sprint("jti-", i), fmt.Sprintf("198.51.100.%d", j)))
		}
	}
	if n := len(events.OfType(audit.Anomaly)); n != 300 {
		t.Errorf("%d anomalies recorded after Close, want 300", n)
	}
	if revoked != 0 {
		t.Errorf("%d responses carried out after Close", revoked)
	}
}

// TestClientRateSuspendsOnlyForItsOwnTraffic: a client_rate detection
// suspends the client when its own tokens raised it, and suspends nothing
// when users' tokens were part of it, since any one user calling fast
// could have.
func TestClientRateSuspendsOnlyForItsOwnTraffic(t *testing.T) {
	for _, tt := range []struct {
		name    string
		subject string
		suspend bool
	}{
		{"the client's own tokens", "c", true},
		{"a user's tokens", "user-1", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events, clk := &audittest.Log{}, newClock()
			as := authservertest.New(t)
			susp := usage.NewSuspensions(as.Store, clk.Now)
			var a usage.Anomalies
			a.Rules.ClientRate.Response = usage.RespondSuspendClient
			d := newDetector(t, a, usage.Options{Auditor: events, Suspensions: susp, Now: clk.Now})
			called := func() {
				e := call("jti-c", "203.0.113.1")
				e.ClientID, e.Subject = "c", tt.subject
				d.Observe(e)
			}
			for range 120 { // an hour and more of 5 calls a minute
				for range 5 {
					called()
				}
				clk.Add(time.Minute)
			}
			for range 150 {
				called()
			}
			d.Close()
			if n := len(events.OfType(audit.Anomaly)); n != 1 {
				t.Fatalf("%d anomalies, want 1", n)
			}
			if _, ok := susp.SuspendedUntil("c"); ok != tt.suspend {
				t.Errorf("suspended: %v, want %v", ok, tt.suspend)
			}
		})
	}
}
