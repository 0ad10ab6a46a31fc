package authserver_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/users"
)

// behindProxy configures the server behind a trusted proxy on loopback, so
// that a browser's forwardedFor transport chooses its client address.
func behindProxy(c *authserver.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
}

// frozen stops th's clock, so that no lock ends while a test runs, however
// slowly argon2id hashes (as under the race detector).
func frozen(th *users.Throttle) *users.Throttle {
	now := time.Now()
	th.Now = func() time.Time { return now }
	return th
}

// frozenThrottles gives the server the default throttles with stopped
// clocks.
func frozenThrottles(c *authserver.Config) {
	c.Throttle, c.AddressThrottle = frozen(users.NewThrottle()), frozen(users.NewAddressThrottle())
}

// browserAt returns a browser whose requests come from ip.
func browserAt(t *testing.T, as *authservertest.Server, ip string) *browser {
	b := newBrowser(t, as)
	b.c.Transport = forwardedFor{ip}
	return b
}

// TestLoginLockIsPerAddress: an attacker who fails the owner's password at
// one address locks the account there only; the owner signs in from
// another address, and the attacker stays locked.
func TestLoginLockIsPerAddress(t *testing.T) {
	as := authservertest.New(t, behindProxy, frozenThrottles)
	attacker, owner := browserAt(t, as, "203.0.113.7"), browserAt(t, as, "198.51.100.9")
	p := attacker.get(webFlow(as, "openid").authURL())
	for range 10 {
		p = attacker.login(p, as.Username, "wrong")
	}
	if p = attacker.login(p, strings.ToUpper(as.Username), "wrong"); p.status != http.StatusTooManyRequests {
		t.Fatalf("attacker after 10 failures: %d, want 429", p.status)
	}
	if p := owner.login(owner.get(webFlow(as, "openid").authURL()), as.Username, as.Password); p.status != http.StatusSeeOther {
		t.Fatalf("the owner at another address: %d, want a sign-in", p.status)
	}
	if p = attacker.login(p, as.Username, as.Password); p.status != http.StatusTooManyRequests {
		t.Fatalf("attacker after the owner's sign-in: %d, want 429 still", p.status)
	}
}

// TestLoginAddressThrottleIsAtomic sends 300 sign-ins at once from one
// address against a limit of 50: exactly 50 pass the throttle, whether
// they are then evaluated (200) or find every hashing slot busy (503).
func TestLoginAddressThrottleIsAtomic(t *testing.T) {
	const attempts = 300
	th := &decideTogether{
		Throttle: frozen(&users.Throttle{FreeAttempts: 50, Window: time.Minute, MaxDelay: time.Minute}),
		want:     attempts, all: make(chan struct{}),
	}
	as := authservertest.New(t, func(c *authserver.Config) { c.AddressThrottle = th })
	b := newBrowser(t, as)
	form := authservertest.HiddenFields(b.get(webFlow(as, "openid").authURL()).body)
	form.Set("password", "wrong")
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range attempts {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		// Another account each time: only the address counts them all.
		f.Set("username", fmt.Sprint("nobody", i))
		wg.Go(func() {
			resp, err := b.c.PostForm(as.URL+"/login", f)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	passed := statuses[http.StatusOK] + statuses[http.StatusServiceUnavailable]
	if passed != 50 || statuses[http.StatusTooManyRequests] != attempts-50 {
		t.Fatalf("statuses %v: want 50 attempts past the throttle (200 or 503) and %d refused (429)", statuses, attempts-50)
	}
}

// decideTogether is an address throttle that holds each attempt after its
// check until all of them have been checked. A refund (for a busy attempt)
// could otherwise free a place while attempts are still arriving, and the
// count that passed would depend on timing.
type decideTogether struct {
	*users.Throttle
	want  int32
	tried atomic.Int32
	// all is closed at the want-th Try.
	all chan struct{}
}

func (d *decideTogether) Try(keys ...string) time.Duration {
	wait := d.Throttle.Try(keys...)
	if d.tried.Add(1) == d.want {
		close(d.all)
	}
	// A bound, not an assertion: if some attempt never reaches the
	// throttle, the others go on and the count tells.
	select {
	case <-d.all:
	case <-time.After(time.Minute):
	}
	return wait
}

// TestLoginIPv6SharesA64: every address of one IPv6 /64 counts as one
// client; the next /64 is another.
func TestLoginIPv6SharesA64(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) {
		behindProxy(c)
		c.AddressThrottle = frozen(&users.Throttle{FreeAttempts: 2, Window: time.Minute, MaxDelay: time.Minute})
	})
	tests := []struct {
		name, ip string
		want     int
	}{
		{"first failure", "2001:db8:1:2::1", http.StatusOK},
		{"second failure, another address of the /64", "2001:db8:1:2:ffff:ffff:ffff:fffe", http.StatusOK},
		{"a third address of the /64 is locked", "2001:db8:1:2:abcd::7", http.StatusTooManyRequests},
		{"the next /64 is not", "2001:db8:1:3::1", http.StatusOK},
	}
	for i, tt := range tests {
		b := browserAt(t, as, tt.ip)
		if p := b.login(b.get(webFlow(as, "openid").authURL()), fmt.Sprint("nobody", i), "wrong"); p.status != tt.want {
			t.Fatalf("%s: %d, want %d", tt.name, p.status, tt.want)
		}
	}
}
