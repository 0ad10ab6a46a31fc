package agent_test

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// parallelRefreshes sends n refreshes at once with the browser's current
// cookies, as a page whose API calls all failed at once would. The
// provider holds its refresh grant until all n have reached the agent.
func parallelRefreshes(t *testing.T, op *testOP, b *browser, n int) []answer {
	t.Helper()
	gate := make(chan struct{})
	op.set(func(op *testOP) { op.gate = gate })
	t.Cleanup(func() { op.set(func(op *testOP) { op.gate = nil }) })
	arrived := make(chan struct{}, n)
	cookies := "pc-auth=" + b.cookie("pc-auth", "/oauth-agent/refresh") + "; pc-id=" + b.cookie("pc-id", "/oauth-agent") + "; pc-at=" + b.cookie("pc-at", "/")
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, b.agent+"/refresh", nil)
			req.Header.Set("Origin", b.origin)
			req.Header.Set("Token-Handler-Version", "1")
			req.Header.Set("Cookie", cookies)
			arrived <- struct{}{}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			answers[i] = answer{status: resp.StatusCode, header: resp.Header, body: body}
		})
	}
	for range n {
		<-arrived
	}
	// Requests that reach the agent after the call has ended get its kept
	// result, so the outcome does not depend on how many joined in time.
	close(gate)
	wg.Wait()
	return answers
}

// TestConcurrentRefresh: many refreshes with the same cookies share one
// call to a provider that rotates refresh tokens and refuses a reused
// one; all succeed and none deletes a cookie.
func TestConcurrentRefresh(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.signIn("", "")
	const n = 50
	for i, a := range parallelRefreshes(t, op, b, n) {
		if a.status != http.StatusNoContent || len(a.cleared()) > 0 {
			t.Errorf("refresh %d: %d %s, cleared %v", i, a.status, a.body, a.cleared())
		}
		if c := (&http.Response{Header: a.header}).Cookies(); len(c) != 4 {
			t.Errorf("refresh %d set %d cookies, want the access, refresh (twice) and ID tokens", i, len(c))
		}
	}
	if got := op.refreshCalls.Load(); got != 1 {
		t.Errorf("%d calls to the provider, want 1", got)
	}
	// A late request with the old cookies, whose answer a browser may
	// process after the new cookies: still the same result, no new call.
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent || op.refreshCalls.Load() != 1 {
		t.Errorf("late refresh: %d %s, %d calls", a.status, a.body, op.refreshCalls.Load())
	}
}

// TestConcurrentRefreshRefused: when the provider refuses the refresh
// token, every request learns it, and only the one that asked deletes the
// cookies.
func TestConcurrentRefreshRefused(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.signIn("", "")
	op.set(func(op *testOP) {
		for rt := range op.refresh {
			op.refresh[rt] = true
		}
	})
	clearing := 0
	for i, a := range parallelRefreshes(t, op, b, 20) {
		if a.status != http.StatusUnauthorized || a.code(t) != "session_expired" {
			t.Errorf("refresh %d: %d %s", i, a.status, a.body)
		}
		if len(a.cleared()) > 0 {
			clearing++
		}
	}
	if clearing != 1 || op.refreshCalls.Load() != 1 {
		t.Errorf("%d answers deleted cookies and the provider was called %d times; want 1 and 1", clearing, op.refreshCalls.Load())
	}
}

// TestRefreshAcrossInstances: two agents with the same key serve one
// browser. The second did not see the first's refresh, so a request with
// the old cookies reaches the provider; Portcullis's grace period answers
// it with the same successor instead of ending the session.
func TestRefreshAcrossInstances(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	first, _ := startAgent(t, cfg)
	second, _ := startAgent(t, cfg)
	b := newBrowser(t, first, cfg)
	b.signIn(as.Username, as.Password)
	old := map[string][2]string{
		"pc-at":   {"/", b.cookie("pc-at", "/")},
		"pc-auth": {"/oauth-agent/refresh", b.cookie("pc-auth", "/oauth-agent/refresh")},
		"pc-id":   {"/oauth-agent", b.cookie("pc-id", "/oauth-agent")},
	}
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Fatalf("first refresh: %d %s", a.status, a.body)
	}
	late := newBrowser(t, second, cfg)
	for name, c := range old {
		late.setCookie(name, c[0], c[1])
	}
	if a := late.post("/refresh", nil); a.status != http.StatusNoContent || len(a.cleared()) > 0 {
		t.Errorf("old cookies at the other instance: %d %s, cleared %v", a.status, a.body, a.cleared())
	}
}
