package usage_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/usage"
)

// failSignIn opens the SPA client's login page and submits a wrong
// password for username, as a browser at addr behind the trusted proxy.
func failSignIn(t *testing.T, as *authservertest.Server, addr, username string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	do := func(req *http.Request) string {
		req.Header.Set("X-Forwarded-For", addr)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
		}
		return string(b)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {as.SPAClientID}, "redirect_uri": {as.RedirectURI},
		"scope": {"openid"}, "state": {"s"}, "code_challenge_method": {"S256"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}}
	req, _ := http.NewRequest(http.MethodGet, as.URL+"/authorize?"+q.Encode(), nil)
	page := do(req)
	form := authservertest.HiddenFields(page)
	form.Set("username", username)
	form.Set("password", "not-the-password")
	req, _ = http.NewRequest(http.MethodPost, as.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if body := do(req); !strings.Contains(body, "Wrong username or password.") {
		t.Fatalf("sign-in as %s from %s was not refused as a wrong password: %s", username, addr, body)
	}
}

// TestCredentialStuffingThroughSignIn signs in with wrong passwords
// through the real login page, the detector watching the server's audit
// events: 50 accounts (most naming nobody) from one address raise one
// detection; the demo account failed from 11 addresses raises another,
// naming its sub.
func TestCredentialStuffingThroughSignIn(t *testing.T) {
	events := &audittest.Log{}
	d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events})
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Auditor = d.Auditing(events)
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	for i := range 50 {
		name := fmt.Sprintf("user%02d", i)
		if i == 7 {
			name = as.Username
		}
		failSignIn(t, as, "192.0.2.10", name)
	}
	if n := len(events.OfType(audit.LoginFailed)); n != 50 {
		t.Fatalf("%d login_failed events, want 50", n)
	}
	x := events.OfType(audit.Anomaly)
	if len(x) != 1 || x[0].Remote != "192.0.2.10" || x[0].Detail["rule"] != usage.RuleCredentialStuffing {
		t.Fatalf("anomalies after 50 accounts from one address: %+v", x)
	}
	if ev := x[0].Detail["evidence"].(map[string]any); ev["pattern"] != "accounts_per_address" || ev["distinct_accounts"] != 21 {
		t.Errorf("evidence %v: want accounts_per_address, 21 distinct (one more than the default 20)", ev)
	}

	for i := range 11 {
		failSignIn(t, as, fmt.Sprintf("203.0.113.%d", i+1), as.Username)
	}
	x = events.OfType(audit.Anomaly)
	if len(x) != 2 {
		t.Fatalf("%d anomalies, want a second for one account from 11 addresses: %+v", len(x), x)
	}
	ev := x[1].Detail["evidence"].(map[string]any)
	if x[1].Subject == "" || ev["pattern"] != "addresses_per_account" || ev["distinct_addresses"] != 11 {
		t.Errorf("second anomaly %+v: want addresses_per_account for the demo user's sub", x[1])
	}
}

// TestInvalidClientBurst presents a wrong secret of the test client at
// the token endpoint: the 20th failure in a minute raises one detection,
// the next 20 none, and, the rule taking no response, the client still
// gets tokens with its right secret.
func TestInvalidClientBurst(t *testing.T) {
	events := &audittest.Log{}
	d := newDetector(t, usage.Anomalies{}, usage.Options{Auditor: events})
	as := authservertest.New(t, func(c *authserver.Config) { c.Auditor = d.Auditing(events) })
	for i := range 40 {
		if status := tokenRequest(t, as, as.ClientID, "wrong-secret"); status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d", status)
		}
		want := 0
		if i >= 19 {
			want = 1
		}
		if got := len(events.OfType(audit.Anomaly)); got != want {
			t.Fatalf("after %d failures: %d anomalies, want %d", i+1, got, want)
		}
	}
	x := events.OfType(audit.Anomaly)[0]
	if x.ClientID != as.ClientID || x.Detail["rule"] != usage.RuleInvalidClient {
		t.Errorf("anomaly %+v", x)
	}
	if status := tokenRequest(t, as, as.ClientID, as.ClientSecret); status != http.StatusOK {
		t.Errorf("the client with its secret after the burst: %d", status)
	}
}

// tokenRequest asks for a client credentials token and returns the status.
func tokenRequest(t *testing.T, as *authservertest.Server, id, secret string) int {
	t.Helper()
	status, _ := tokenAnswer(t, as, id, secret)
	return status
}

// tokenAnswer asks for a client credentials token and returns the status
// and the body.
func tokenAnswer(t *testing.T, as *authservertest.Server, id, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, as.URL+"/token", strings.NewReader("grant_type=client_credentials&scope=read:users"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
