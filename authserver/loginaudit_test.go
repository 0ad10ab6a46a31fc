package authserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// TestLoginAuditKeepsNoTypedText: a failed or throttled sign-in with a
// username that names no account is recorded with a keyed digest of it,
// never the text (which may be a password typed in the wrong field); a
// typed password is never recorded. A failure for a real account names it.
func TestLoginAuditKeepsNoTypedText(t *testing.T) {
	events := &audittest.Log{}
	// The throttle's clock stands still, so its lock cannot lapse while
	// slow password hashing (as under the race detector) runs.
	throttle := users.NewThrottle()
	frozen := time.Now()
	throttle.Now = func() time.Time { return frozen }
	as := authservertest.New(t, func(c *authserver.Config) { c.Auditor, c.Throttle = events, throttle })
	const unknown, password = "Tr0ub4dor-typed-as-username", "some-typed-password"

	b := newBrowser(t, as)
	p := b.get(webFlow(as, "openid").authURL())
	p = b.login(p, as.Username, password)
	for range 7 { // five fail, the sixth and seventh are throttled
		p = b.login(p, unknown, password)
	}
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("seventh attempt for one username: %d, want 429", p.status)
	}

	failed, throttled := events.OfType(audit.LoginFailed), events.OfType(audit.LoginThrottled)
	if len(failed) != 6 || len(throttled) != 2 {
		t.Fatalf("%d login_failed and %d login_throttled events, want 6 and 2", len(failed), len(throttled))
	}
	known := failed[0]
	if known.Subject == "" || known.Detail["username"] != as.Username || known.Detail["username_hash"] != nil {
		t.Errorf("failure for the real account: %+v, want its sub and username", known)
	}
	digest := failed[1].Detail["username_hash"]
	tests := []struct {
		name string
		e    store.AuditEvent
	}{
		{"failed", failed[1]},
		{"failed again", failed[5]},
		{"throttled", throttled[0]},
	}
	for _, tt := range tests {
		row := strings.ToLower(fmt.Sprintf("%+v", tt.e))
		if strings.Contains(row, "tr0ub4dor") || strings.Contains(row, password) {
			t.Errorf("%s: the event holds the typed text: %s", tt.name, row)
		}
		if h, _ := tt.e.Detail["username_hash"].(string); len(h) != 43 || h != digest || tt.e.Subject != "" {
			t.Errorf("%s: %+v, want only the username's digest %v", tt.name, tt.e, digest)
		}
	}
	for _, e := range events.OfType(audit.LoginFailed) {
		if strings.Contains(fmt.Sprintf("%+v", e), password) {
			t.Errorf("an event holds the typed password: %+v", e)
		}
	}
}
