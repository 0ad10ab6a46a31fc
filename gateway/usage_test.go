package gateway_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/usage/usagetest"
)

// TestGatewayUsage sends requests the routes judge and requests no route
// takes, and checks that each of the first is reported once, with the
// route as configured, the caller, the address and the outcome.
func TestGatewayUsage(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	log := &usagetest.Recorder{}
	gw := start(t, issuer.URL, func(c *gateway.Config) { c.Usage = log },
		gateway.Route{Path: "/users", Methods: []string{"GET"}, Upstream: up.URL, Scopes: []string{"list:users"}},
		gateway.Route{Path: "/users/admin", Upstream: up.URL, Scopes: []string{"write:users"}},
	)
	list := issuer.Token(t, "list:users")
	tests := []struct {
		name, method, path, token string
		// want is the one event's route, client and outcome; empty
		// outcome for no event.
		route, client, outcome string
	}{
		{"allowed", "GET", "/users/42", list, "/users", issuer.ClientID, guard.OutcomeAllowed},
		{"spelled in capitals", "GET", "/USERS", list, "/users", issuer.ClientID, guard.OutcomeAllowed},
		{"missing scope", "DELETE", "/users/admin", list, "/users/admin", issuer.ClientID, guard.OutcomeInsufficientScope},
		{"no token", "GET", "/users", "", "/users", "", guard.OutcomeNoToken},
		{"bad token", "GET", "/users", "garbage", "/users", "", guard.OutcomeInvalidToken},
		{"no route", "GET", "/orders", list, "", "", ""},
		{"method not allowed", "POST", "/users", list, "", "", ""},
		{"dot segments", "GET", "/users/../users", list, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			do(t, tt.method, gw.URL+tt.path, tt.token, nil)
			want := 1
			if tt.outcome == "" {
				// Answered by the gateway before any route.
				want = 0
			}
			got := log.Await(t, want)
			if tt.outcome == "" {
				if len(got) != 0 {
					t.Fatalf("a request no route took was reported: %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("events %+v, want one", got)
			}
			e := got[0]
			if e.Kind != usage.APICall || e.Route != tt.route || e.ClientID != tt.client || e.Outcome != tt.outcome ||
				e.Audience != authservertest.API || e.Address != "127.0.0.1" || !strings.HasPrefix(e.UserAgent, "Go-http-client/") || e.Time.IsZero() {
				t.Fatalf("event %+v, want route %q, client %q, outcome %q", e, tt.route, tt.client, tt.outcome)
			}
			if tt.client != "" && (e.Subject != issuer.ClientID || e.TokenID == "") {
				t.Fatalf("event %+v lacks the token's subject or jti", e)
			}
		})
	}
}

// TestGatewayUsageAddress tells the client's address behind a trusted
// proxy, and only behind one.
func TestGatewayUsageAddress(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	tests := []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxy trusted", nil, "127.0.0.1"},
		{"loopback proxy trusted", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &usagetest.Recorder{}
			gw := start(t, issuer.URL, func(c *gateway.Config) { c.Usage, c.TrustedProxies = log, tt.trusted },
				gateway.Route{Path: "/users", Upstream: up.URL})
			do(t, "GET", gw.URL+"/users", issuer.Token(t, ""), http.Header{"X-Forwarded-For": {"198.51.100.7"}})
			if got := log.Await(t, 1); len(got) != 1 || got[0].Address != tt.want {
				t.Fatalf("events %+v, want one from %s", got, tt.want)
			}
		})
	}
}

// TestGatewayUsageCookieRoute reports the refusals of a cookie route's own
// checks, before the guard, and its calls let through.
func TestGatewayUsageCookieRoute(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	log := &usagetest.Recorder{}
	gw := start(t, issuer.URL, func(c *gateway.Config) { c.Usage, c.Cookies = log, cookieSettings() },
		gateway.Route{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}, Cookies: true})
	good := "pc-at=" + sealCookie(t, cookieKey, "pc-at", issuer.Token(t, "list:users"))
	tests := []struct {
		name    string
		header  http.Header
		outcome string
	}{
		{"allowed", http.Header{"Origin": {appOrigin}, "Cookie": {good}}, guard.OutcomeAllowed},
		{"untrusted origin", http.Header{"Origin": {"https://evil.example"}, "Cookie": {good}}, guard.OutcomeInvalidRequest},
		{"no cookie", http.Header{"Origin": {appOrigin}}, guard.OutcomeNoToken},
		{"cookie not ours", http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=AAAA"}}, guard.OutcomeInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			do(t, "GET", gw.URL+"/users", "", tt.header)
			if got := log.Await(t, 1); len(got) != 1 || got[0].Outcome != tt.outcome || got[0].Route != "/users" {
				t.Fatalf("events %+v, want one %s", got, tt.outcome)
			}
		})
	}
}

// TestUsageRecords runs the server and the gateway with one usage.Counter
// on the server's store, as serve wires them: tokens issued, an
// introspection, API calls let through and refused, then a flush, and the
// records read back with usage.Query.
func TestUsageRecords(t *testing.T) {
	w := &lateWriter{}
	counter := usage.NewCounter(w, slog.New(slog.DiscardHandler), usage.CounterOptions{Interval: time.Hour})
	issuer := authservertest.New(t, func(c *authserver.Config) { c.Usage = counter })
	w.Writer = issuer.Store
	t.Cleanup(counter.Close)
	up := echo(t)
	calls := &usagetest.Recorder{}
	gw := start(t, issuer.URL, func(c *gateway.Config) { c.Usage = usage.Fanout{counter, calls} },
		gateway.Route{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}})
	list, read := issuer.Token(t, "list:users"), issuer.Token(t, "read:users")
	var intro struct{ Active bool }
	if issuerPost(t, issuer, "/introspect", url.Values{"token": {list}}, &intro); !intro.Active {
		t.Fatal("introspection: inactive")
	}
	for _, tok := range []string{list, list, list, read, "garbage", ""} {
		do(t, "GET", gw.URL+"/users", tok, nil)
	}
	calls.Await(t, 6)
	if err := counter.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err := usage.Query(context.Background(), issuer.Store, usage.Filter{ClientID: issuer.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	var tokens, intros, allowed, refused int64
	for _, r := range rep.Rows {
		if r.API != authservertest.API {
			t.Fatalf("row for API %q: %+v", r.API, r)
		}
		tokens += r.TokensIssued["client_credentials"]
		intros += r.Introspections[usage.Active]
		allowed += r.Allowed()
		refused += r.APICalls[guard.OutcomeInsufficientScope]
	}
	if tokens != 2 || intros != 1 || allowed != 3 || refused != 1 {
		t.Fatalf("tokens %d, introspections %d, allowed %d, refused %d; want 2, 1, 3, 1\n%+v", tokens, intros, allowed, refused, rep)
	}
	// The calls without a client are the API's too.
	rep, err = usage.Query(context.Background(), issuer.Store, usage.Filter{Route: "/users"})
	if err != nil {
		t.Fatal(err)
	}
	var anonymous map[string]int64
	for _, r := range rep.Rows {
		if r.ClientID == "" {
			anonymous = r.APICalls
		}
	}
	if anonymous[guard.OutcomeNoToken] != 1 || anonymous[guard.OutcomeInvalidToken] != 1 {
		t.Fatalf("calls without a client: %v, want one no_token and one invalid_token", anonymous)
	}
}

// lateWriter writes to the store of a server built after the Counter.
type lateWriter struct{ usage.Writer }

// issuerPost posts form to the issuer's path as its test client and
// decodes the answer into out.
func issuerPost(t *testing.T, issuer *authservertest.Server, path string, form url.Values, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(issuer.ClientID, issuer.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
}
