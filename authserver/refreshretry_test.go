package authserver_test

import (
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestRefreshRetryIsNotReplay: a rotated token presented again gets the
// same successor only while that successor was never presented, by the same
// client and within the grace; otherwise the family is revoked. The first
// case is the issue's: A → B → C within the grace, then A again.
func TestRefreshRetryIsNotReplay(t *testing.T) {
	clk := &clock{t: time.Now()}
	events := &audittest.Log{}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now; c.Auditor = events })
	web := basic(as.WebClientID, as.WebClientSecret)
	tests := []struct {
		name string
		// touch does something with the successor B before A comes again.
		touch     func(t *testing.T, b string)
		presenter []header // nil: the public SPA client
		wait      time.Duration
		wantRetry bool
	}{
		{name: "successor used", wantRetry: false, presenter: []header{web}, wait: time.Second,
			touch: func(t *testing.T, b string) {
				if status, body := refreshed(t, as, b, nil); status != http.StatusOK {
					t.Fatalf("using the successor: %d %v", status, body)
				}
			}},
		{name: "successor untouched", wantRetry: true, presenter: []header{web}, wait: time.Second},
		{name: "successor refused for a wider scope", wantRetry: false, presenter: []header{web}, wait: time.Second,
			touch: func(t *testing.T, b string) {
				if status, body := refreshed(t, as, b, url.Values{"scope": {"openid write:users"}}); status != http.StatusBadRequest {
					t.Fatalf("widening with the successor: %d %v", status, body)
				}
			}},
		{name: "successor presented by another client", wantRetry: false, presenter: []header{web}, wait: time.Second,
			touch: func(t *testing.T, b string) {
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b}, "client_id": {as.SPAClientID}}
				if status, body := postForm(t, as.URL+"/token", form); status != http.StatusBadRequest {
					t.Fatalf("the successor from another client: %d %v", status, body)
				}
			}},
		{name: "retry from another client", wantRetry: false, presenter: nil, wait: time.Second},
		{name: "retry after the grace", wantRetry: false, presenter: []header{web}, wait: authserver.DefaultRefreshGrace + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, tok := signedIn(t, as, "openid", "offline_access", "read:users")
			a := tok.RefreshToken
			status, first := refreshed(t, as, a, nil)
			if status != http.StatusOK {
				t.Fatalf("first refresh: %d %v", status, first)
			}
			successor := first["refresh_token"].(string)
			if tt.touch != nil {
				tt.touch(t, successor)
			}
			clk.Add(tt.wait)
			retries, reuses := len(events.OfType(audit.RefreshRetry)), len(events.OfType(audit.RefreshReuse))
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a}}
			if tt.presenter == nil {
				form.Set("client_id", as.SPAClientID)
			}
			status, again := postForm(t, as.URL+"/token", form, tt.presenter...)
			if tt.wantRetry {
				if status != http.StatusOK || again["refresh_token"] != successor || again["access_token"] != first["access_token"] {
					t.Fatalf("retry: %d %v, want the identical successor response", status, again)
				}
				if len(events.OfType(audit.RefreshRetry)) != retries+1 || len(events.OfType(audit.RefreshReuse)) != reuses {
					t.Fatal("a retry was not audited as refresh_retry")
				}
				if status, body := refreshed(t, as, successor, nil); status != http.StatusOK {
					t.Fatalf("the successor after a retry: %d %v", status, body)
				}
				return
			}
			if status != http.StatusBadRequest || again["error"] != "invalid_grant" {
				t.Fatalf("reuse: %d %v, want 400 invalid_grant", status, again)
			}
			if len(events.OfType(audit.RefreshReuse)) != reuses+1 || len(events.OfType(audit.RefreshRetry)) != retries {
				t.Fatal("a reuse was not audited as refresh_reuse")
			}
			if status, body := refreshed(t, as, successor, nil); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("the successor after a reuse: %d %v", status, body)
			}
			if _, intro := postForm(t, as.URL+"/introspect", url.Values{"token": {first["access_token"].(string)}}, web); intro["active"] != false {
				t.Fatal("access token of a revoked family still active")
			}
		})
	}
}

// TestRefreshRetryRace: 50 concurrent requests present a rotated token A
// (retries) and its successor B (use). B rotates once; a retry of A that
// starts after a use of B has been answered never gets B; any refused A
// leaves the family revoked.
func TestRefreshRetryRace(t *testing.T) {
	as := authservertest.New(t)
	_, _, tok := signedIn(t, as, "openid", "offline_access")
	a := tok.RefreshToken
	status, first := refreshed(t, as, a, nil)
	if status != http.StatusOK {
		t.Fatalf("first refresh: %d %v", status, first)
	}
	successor := first["refresh_token"].(string)
	var used atomic.Bool
	var lateRetries, refusedRetries atomic.Int32
	var mu sync.Mutex
	next := map[string]bool{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				status, body := refreshed(t, as, successor, nil)
				switch {
				case status == http.StatusOK:
					mu.Lock()
					next[body["refresh_token"].(string)] = true
					mu.Unlock()
					used.Store(true)
				case status != http.StatusBadRequest || body["error"] != "invalid_grant":
					t.Errorf("using the successor: %d %v", status, body)
				}
				return
			}
			after := used.Load()
			status, body := refreshed(t, as, a, nil)
			switch {
			case status == http.StatusOK:
				if body["refresh_token"] != successor {
					t.Errorf("a retry got %v, not the successor", body["refresh_token"])
				}
				if after {
					lateRetries.Add(1)
				}
			case status == http.StatusBadRequest && body["error"] == "invalid_grant":
				refusedRetries.Add(1)
			default:
				t.Errorf("retry: %d %v", status, body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(next) != 1 {
		t.Fatalf("the successor's uses produced %d different tokens, want 1", len(next))
	}
	if lateRetries.Load() != 0 {
		t.Fatalf("%d retries that began after the successor was used got it again", lateRetries.Load())
	}
	var c string
	for c = range next {
	}
	status, body := refreshed(t, as, c, nil)
	if refusedRetries.Load() > 0 && status != http.StatusBadRequest {
		t.Fatalf("the newest token after a reuse: %d %v", status, body)
	}
	// Whatever the order was, A is now reuse, and the family ends.
	if status, body := refreshed(t, as, a, nil); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("A after its successor was used: %d %v", status, body)
	}
	if status, body := refreshed(t, as, c, nil); status != http.StatusBadRequest {
		t.Fatalf("the newest token after the reuse: %d %v", status, body)
	}
}
