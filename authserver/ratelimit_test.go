package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/usage/usagetest"
)

// fakeClock is the server's time, moved by the test.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// answer is a response's status, headers and body.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("not JSON: %d %q", a.status, a.body)
	}
	return m
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func formRequest(t *testing.T, u string, form url.Values, headers ...header) *http.Request {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, h := range headers {
		req.Header.Set(h.key, h.value)
	}
	return req
}

// checkRefusal checks a rate limit's 429: Retry-After, and RateLimit-Policy
// and RateLimit as draft-ietf-httpapi-ratelimit-headers-11 writes them.
func checkRefusal(t *testing.T, a answer, name string, l usage.Limit) {
	t.Helper()
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", a.status, a.body)
	}
	retry, err := strconv.Atoi(a.header.Get("Retry-After"))
	interval := int(l.Period / time.Second / time.Duration(l.Rate))
	if err != nil || retry < 1 || retry > interval {
		t.Fatalf("Retry-After %q, want 1 to %d seconds", a.header.Get("Retry-After"), interval)
	}
	if got, want := a.header.Get("RateLimit-Policy"), `"`+name+`";q=`+strconv.Itoa(l.Rate)+`;w=`+strconv.Itoa(int(l.Period/time.Second)); got != want {
		t.Fatalf("RateLimit-Policy %q, want %q", got, want)
	}
	if got, want := a.header.Get("RateLimit"), `"`+name+`";r=0;t=`+strconv.Itoa(retry); got != want {
		t.Fatalf("RateLimit %q, want %q", got, want)
	}
}

// TestTokenRateLimit: a client over its limit gets 429 with the headers
// and an OAuth error, and no token; others are not affected; a client's
// own limit overrides the default; once the interval has passed on the
// (injected) clock, one more token is issued.
func TestTokenRateLimit(t *testing.T) {
	clock := newFakeClock()
	events := &usagetest.Recorder{Kinds: []usage.Kind{usage.RateLimited}}
	def := usage.Limit{Rate: 10, Period: time.Minute, Burst: 3}
	own := usage.Limit{Rate: 1, Period: time.Minute, Burst: 1}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Now, c.Usage = clock.now, events
		c.RateLimits.Token = def
		c.Clients[1].RateLimit = &store.RateLimit{Rate: own.Rate, Period: own.Period, Burst: own.Burst}
	})
	tokenAt := func(id, secret string) answer {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"list:users"}}
		return send(t, formRequest(t, as.URL+"/token", form, basic(id, secret)))
	}
	for i := range 3 {
		if a := tokenAt(as.ClientID, as.ClientSecret); a.status != http.StatusOK {
			t.Fatalf("token %d within the burst: %d %s", i, a.status, a.body)
		}
	}
	a := tokenAt(as.ClientID, as.ClientSecret)
	checkRefusal(t, a, usage.LimitToken, def)
	body := a.json(t)
	if body["error"] != "temporarily_unavailable" || body["access_token"] != nil || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("refusal body %v, headers %v", body, a.header)
	}
	if got := events.Events(); len(got) != 1 || got[0].Kind != usage.RateLimited || got[0].Limit != usage.LimitToken ||
		got[0].ClientID != as.ClientID || got[0].Address != "127.0.0.1" || !got[0].Time.Equal(clock.now()) {
		t.Fatalf("events %+v", got)
	}

	// The web client (authorization code grant only) has a limit of its
	// own, one a minute, which its refused grant uses up.
	if a := tokenAt(as.WebClientID, as.WebClientSecret); a.status != http.StatusBadRequest {
		t.Fatalf("web client's first request: %d %s", a.status, a.body)
	}
	checkRefusal(t, tokenAt(as.WebClientID, as.WebClientSecret), usage.LimitToken, own)

	// 10 a minute: one token's allowance comes back in 6 s.
	clock.add(5 * time.Second)
	checkRefusal(t, tokenAt(as.ClientID, as.ClientSecret), usage.LimitToken, def)
	clock.add(time.Second)
	if a := tokenAt(as.ClientID, as.ClientSecret); a.status != http.StatusOK {
		t.Fatalf("after the interval: %d %s", a.status, a.body)
	}
	checkRefusal(t, tokenAt(as.ClientID, as.ClientSecret), usage.LimitToken, def)

	// A wrong secret is answered as before: the limit counts
	// authenticated requests only.
	if a := tokenAt(as.ClientID, "wrong"); a.status != http.StatusUnauthorized {
		t.Fatalf("wrong secret over the limit: %d %s", a.status, a.body)
	}
}

// TestPublicClientTokenRateLimit: a public client's token requests,
// which anyone can send with its client_id, count per client address, so
// one address over the limit leaves the client's other users alone.
func TestPublicClientTokenRateLimit(t *testing.T) {
	clock := newFakeClock()
	limit := usage.Limit{Rate: 1, Period: time.Minute, Burst: 1}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Now = clock.now
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.RateLimits.Token = limit
	})
	exchange := func(addr string) answer {
		form := url.Values{"grant_type": {"authorization_code"}, "client_id": {as.SPAClientID}, "code": {"made-up"},
			"code_verifier": {strings.Repeat("v", 43)}, "redirect_uri": {"https://spa.example.com/cb"}}
		return send(t, formRequest(t, as.URL+"/token", form, header{"X-Forwarded-For", addr}))
	}
	if a := exchange("198.51.100.7"); a.status == http.StatusTooManyRequests {
		t.Fatalf("first request refused: %s", a.body)
	}
	checkRefusal(t, exchange("198.51.100.7"), usage.LimitToken, limit)
	if a := exchange("203.0.113.9"); a.status == http.StatusTooManyRequests {
		t.Fatalf("another address refused: %s", a.body)
	}
}

// TestAddressRateLimits: each unauthenticated endpoint is limited per
// client address: the third request from one address is refused with the
// headers, another address is not, and the events name the limit and
// the address. /introspect and /revoke count refused requests only.
func TestAddressRateLimits(t *testing.T) {
	limit := usage.Limit{Rate: 2, Period: time.Minute, Burst: 2}
	tests := []struct {
		name  string
		limit string
		set   func(*authserver.RateLimits)
		// request is one request from addr, counted against the limit.
		request func(t *testing.T, as *authservertest.Server, addr string) *http.Request
		// page: the refusal is an HTML page, not an OAuth JSON error.
		page bool
		// free is a request from the same address the limit does not
		// count (nil: every request counts).
		free func(t *testing.T, as *authservertest.Server, addr string) *http.Request
		// failures: the limit counts refusals, and over it even free
		// requests wait; otherwise they pass.
		failures bool
	}{
		{
			name: "GET /authorize", limit: usage.LimitAuthorize, page: true,
			set: func(r *authserver.RateLimits) { r.Authorize = limit },
			request: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				req, _ := http.NewRequest(http.MethodGet, webFlow(as, "openid").authURL(), nil)
				req.Header.Set("X-Forwarded-For", addr)
				return req
			},
		},
		{
			name: "POST /par by a public client", limit: usage.LimitPAR,
			set: func(r *authserver.RateLimits) { r.PAR = limit },
			request: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				u, _ := url.Parse(newFlow(as, as.SPAClientID, "", "openid").authURL())
				return formRequest(t, as.URL+"/par", u.Query(), header{"X-Forwarded-For", addr})
			},
			free: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				u, _ := url.Parse(webFlow(as, "openid").authURL())
				return formRequest(t, as.URL+"/par", u.Query(), basic(as.WebClientID, as.WebClientSecret), header{"X-Forwarded-For", addr})
			},
		},
		{
			name: "POST /login", limit: usage.LimitSignIn, page: true,
			set: func(r *authserver.RateLimits) { r.SignIn = limit },
			request: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				return formRequest(t, as.URL+"/login", url.Values{"username": {"demo"}, "password": {"guess"}}, header{"X-Forwarded-For", addr})
			},
		},
		{
			name: "POST /introspect failures", limit: usage.LimitIntrospectFailures, failures: true,
			set: func(r *authserver.RateLimits) { r.IntrospectFailures = limit },
			request: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				return formRequest(t, as.URL+"/introspect", url.Values{"token": {"x"}}, basic(as.ClientID, "wrong"), header{"X-Forwarded-For", addr})
			},
			free: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				return formRequest(t, as.URL+"/introspect", url.Values{"token": {"x"}}, basic(as.ClientID, as.ClientSecret), header{"X-Forwarded-For", addr})
			},
		},
		{
			name: "POST /revoke failures", limit: usage.LimitRevokeFailures, failures: true,
			set: func(r *authserver.RateLimits) { r.RevokeFailures = limit },
			request: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				return formRequest(t, as.URL+"/revoke", url.Values{"token": {"x"}}, basic(as.ClientID, "wrong"), header{"X-Forwarded-For", addr})
			},
			free: func(t *testing.T, as *authservertest.Server, addr string) *http.Request {
				return formRequest(t, as.URL+"/revoke", url.Values{"token": {"x"}}, basic(as.ClientID, as.ClientSecret), header{"X-Forwarded-For", addr})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			events := &usagetest.Recorder{Kinds: []usage.Kind{usage.RateLimited}}
			as := authservertest.New(t, func(c *authserver.Config) {
				c.Now, c.Usage = clock.now, events
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
				tt.set(&c.RateLimits)
			})
			const addr = "198.51.100.7"
			if tt.free != nil {
				for i := range 5 {
					if a := send(t, tt.free(t, as, addr)); a.status >= 400 {
						t.Fatalf("uncounted request %d: %d %s", i, a.status, a.body)
					}
				}
			}
			for i := range 2 {
				if a := send(t, tt.request(t, as, addr)); a.status == http.StatusTooManyRequests {
					t.Fatalf("request %d refused: %s", i, a.body)
				}
			}
			a := send(t, tt.request(t, as, addr))
			checkRefusal(t, a, tt.limit, limit)
			if tt.page {
				if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.body, "Try again in") {
					t.Fatalf("refusal page: %s %s", a.header.Get("Content-Type"), a.body)
				}
			} else if a.json(t)["error"] != "temporarily_unavailable" {
				t.Fatalf("refusal body %s", a.body)
			}
			switch {
			case tt.failures:
				// Over a failure limit, even good credentials wait.
				checkRefusal(t, send(t, tt.free(t, as, addr)), tt.limit, limit)
			case tt.free != nil:
				if a := send(t, tt.free(t, as, addr)); a.status >= 400 {
					t.Fatalf("uncounted request over the limit: %d %s", a.status, a.body)
				}
			}
			if a := send(t, tt.request(t, as, "2001:db8:1:2::7")); a.status == http.StatusTooManyRequests {
				t.Fatalf("another address refused: %s", a.body)
			}
			if got := events.Events(); len(got) == 0 || got[0].Kind != usage.RateLimited || got[0].Limit != tt.limit || got[0].Address != addr {
				t.Fatalf("events %+v", got)
			}
			clock.add(30 * time.Second)
			if a := send(t, tt.request(t, as, addr)); a.status == http.StatusTooManyRequests {
				t.Fatalf("refused after the interval: %s", a.body)
			}
		})
	}
}
