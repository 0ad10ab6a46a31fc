package authserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// pendingServer is a test server with small limits on pending
// authorization requests, behind a trusted proxy (the test itself), so
// that X-Forwarded-For picks the client address.
func pendingServer(t *testing.T, perAddress, total int) *authservertest.Server {
	return authservertest.New(t, func(c *authserver.Config) {
		c.PendingPerAddress, c.PendingTotal = perAddress, total
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
}

// authorizeFrom sends GET /authorize of a fresh browser from addr and
// returns the status and the Retry-After header.
func authorizeFrom(t *testing.T, as *authservertest.Server, addr string) (int, string) {
	t.Helper()
	f := webFlow(as, "openid")
	req, _ := http.NewRequest(http.MethodGet, f.authURL(), nil)
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests && !strings.Contains(string(body), "Too many sign-ins") {
		t.Fatalf("429 without the error page: %s", body)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// parFrom pushes an authorization request from addr, of the public SPA
// client, or of the confidential web client when confidential is set, and
// returns the status, the JSON body and the Retry-After header.
func parFrom(t *testing.T, as *authservertest.Server, addr string, confidential bool) (int, map[string]any, string) {
	t.Helper()
	f := newFlow(as, as.SPAClientID, "", "openid")
	auth := header{"X-Forwarded-For", addr}
	if confidential {
		f, auth = webFlow(as, "openid"), basic(as.WebClientID, as.WebClientSecret)
	}
	u, _ := url.Parse(f.authURL())
	resp := post(t, as.URL+"/par", "application/x-www-form-urlencoded", u.Query().Encode(), auth, header{"X-Forwarded-For", addr})
	return resp.StatusCode, decode(t, resp), resp.Header.Get("Retry-After")
}

// TestPendingRequestsBounded: each /authorize and /par call stores a
// request; an address, and the server, may hold only so many unfinished
// ones, and the rest are answered 429 with Retry-After without storing
// anything.
func TestPendingRequestsBounded(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"authorize per address", func(t *testing.T) {
			as := pendingServer(t, 5, 100)
			for i := range 5 {
				if status, _ := authorizeFrom(t, as, "192.0.2.1"); status != http.StatusOK {
					t.Fatalf("request %d: status %d", i, status)
				}
			}
			for range 300 {
				status, retry := authorizeFrom(t, as, "192.0.2.1")
				if n, _ := strconv.Atoi(retry); status != http.StatusTooManyRequests || n < 590 || n > 600 {
					t.Fatalf("over the limit: status %d, Retry-After %q; want 429 and about 600", status, retry)
				}
			}
			if status, _ := authorizeFrom(t, as, "192.0.2.2"); status != http.StatusOK {
				t.Fatalf("another address: status %d", status)
			}
		}},
		{"public client's pushes per address, shared with authorize", func(t *testing.T) {
			as := pendingServer(t, 3, 100)
			for range 2 {
				if status, body, _ := parFrom(t, as, "192.0.2.1", false); status != http.StatusCreated {
					t.Fatalf("push: %d %v", status, body)
				}
			}
			if status, _ := authorizeFrom(t, as, "192.0.2.1"); status != http.StatusOK {
				t.Fatalf("authorize: status %d", status)
			}
			status, body, retry := parFrom(t, as, "192.0.2.1", false)
			if n, _ := strconv.Atoi(retry); status != http.StatusTooManyRequests || body["error"] != "temporarily_unavailable" || n < 1 || n > 60 {
				t.Fatalf("push over the limit: %d %v, Retry-After %q; want 429 temporarily_unavailable within 60 s", status, body, retry)
			}
		}},
		{"confidential client's pushes count in the total only", func(t *testing.T) {
			as := pendingServer(t, 2, 6)
			for i := range 6 {
				if status, body, _ := parFrom(t, as, "192.0.2.1", true); status != http.StatusCreated {
					t.Fatalf("push %d from one backend: %d %v", i, status, body)
				}
			}
			if status, body, retry := parFrom(t, as, "192.0.2.1", true); status != http.StatusTooManyRequests || body["error"] != "temporarily_unavailable" || retry == "" {
				t.Fatalf("push over the total: %d %v, Retry-After %q; want 429 temporarily_unavailable", status, body, retry)
			}
			if status, _ := authorizeFrom(t, as, "192.0.2.9"); status != http.StatusTooManyRequests {
				t.Fatalf("authorize over the total: status %d, want 429", status)
			}
		}},
		{"IPv6 by /64", func(t *testing.T) {
			as := pendingServer(t, 2, 100)
			for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::ffff"} {
				if status, _ := authorizeFrom(t, as, addr); status != http.StatusOK {
					t.Fatalf("request %d: status %d", i, status)
				}
			}
			if status, _ := authorizeFrom(t, as, "2001:db8:1:2:abcd::9"); status != http.StatusTooManyRequests {
				t.Fatalf("third address of the /64: status %d, want 429", status)
			}
			if status, _ := authorizeFrom(t, as, "2001:db8:1:3::1"); status != http.StatusOK {
				t.Fatalf("another /64: status %d", status)
			}
		}},
		{"total", func(t *testing.T) {
			as := pendingServer(t, 5, 20)
			for i := range 20 {
				if status, _ := authorizeFrom(t, as, fmt.Sprintf("198.51.100.%d", i)); status != http.StatusOK {
					t.Fatalf("request %d: status %d", i, status)
				}
			}
			for i := range 200 {
				if status, _ := authorizeFrom(t, as, fmt.Sprintf("203.0.%d.%d", i/250, i%250)); status != http.StatusTooManyRequests {
					t.Fatalf("request %d over the total: status %d, want 429", i, status)
				}
			}
		}},
		{"a finished sign-in frees its place", func(t *testing.T) {
			as := pendingServer(t, 1, 100)
			b := newBrowser(t, as)
			for i := range 3 {
				f := webFlow(as, "openid")
				if _, err := f.exchange(b.signIn(f)); err != nil {
					t.Fatalf("sign-in %d: %v", i, err)
				}
			}
		}},
		{"a used pushed request frees its place", func(t *testing.T) {
			as := pendingServer(t, 2, 100)
			b := newBrowser(t, as)
			for i := range 3 {
				f := webFlow(as, "openid")
				u, _ := url.Parse(f.authURL())
				status, body := postForm(t, as.URL+"/par", u.Query(), basic(as.WebClientID, as.WebClientSecret))
				if status != http.StatusCreated {
					t.Fatalf("push %d: %d %v", i, status, body)
				}
				p := b.get(as.URL + "/authorize?" + url.Values{"client_id": {as.WebClientID}, "request_uri": {body["request_uri"].(string)}}.Encode())
				if p.status == http.StatusOK {
					p = b.login(p, as.Username, as.Password)
				}
				if _, err := f.exchange(f.code(t, as, p.location(t))); err != nil {
					t.Fatalf("sign-in %d: %v", i, err)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
