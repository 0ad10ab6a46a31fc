package guard_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// Sign-ins of the step-up tests (RFC 8176 methods).
var (
	password    = []string{"pwd"}
	passwordOTP = []string{"pwd", "otp", "mfa"}
	passkey     = []string{"hwk", "user", "mfa"}
)

// stepUpChallenge is the challenge of a route that requires mfa or phr
// within five minutes, with the description of what was unmet.
func stepUpChallenge(description string) string {
	return `Bearer realm="https://api.example.com", error="insufficient_user_authentication", error_description="` +
		description + `", acr_values="mfa phr", max_age="300"`
}

// TestRequireAuthentication checks which sign-ins a route that requires a
// step-up (RFC 9470) admits, and the challenge and body of a refusal, for
// JWTs and introspected tokens.
func TestRequireAuthentication(t *testing.T) {
	iss := newIssuer(t)
	clock := newClock()
	g := newGuard(t, iss.URL, func(o *guard.Options) {
		o.Clock = clock.Now
		o.Introspection = guard.Introspection{ClientID: guardtest.ClientID, ClientSecret: guardtest.ClientSecret}
	})
	var mu sync.Mutex
	var outcomes []string
	observed := newGuard(t, iss.URL, func(o *guard.Options) {
		o.Clock = clock.Now
		o.Observe = func(_ *http.Request, _ *guard.Caller, err error) {
			mu.Lock()
			defer mu.Unlock()
			outcomes = append(outcomes, guard.Outcome(err))
		}
	})
	both := guard.StepUp{ACR: []string{"mfa", "phr"}, MaxAge: 5 * time.Minute}
	now := clock.Now()
	token := func(acr string, amr []string, authTime time.Time) string {
		return iss.Sign(nil, guardtest.SignedIn(iss.Claims("list:users"), acr, amr, authTime))
	}
	wrongType := iss.Claims("list:users")
	wrongType["acr"], wrongType["auth_time"] = 2, now.Unix()
	tests := []struct {
		name      string
		step      guard.StepUp
		token     string
		guard     *guard.Guard // nil: g
		challenge string       // empty: admitted
	}{
		{name: "mfa just now", step: both, token: token("mfa", passwordOTP, now)},
		{name: "phr just now", step: both, token: token("phr", passkey, now)},
		{name: "mfa five minutes ago", step: both, token: token("mfa", passwordOTP, now.Add(-5*time.Minute))},
		{name: "mfa, introspected", step: both,
			token: iss.OpaqueTokenWith(guardtest.SignedIn(iss.Claims("list:users"), "mfa", passwordOTP, now))},
		{name: "sfa", step: both, token: token("sfa", password, now), challenge: stepUpChallenge("a stronger sign-in is required")},
		{name: "sfa, introspected", step: both, token: iss.OpaqueTokenWith(guardtest.SignedIn(iss.Claims("list:users"), "sfa", password, now)),
			challenge: stepUpChallenge("a stronger sign-in is required")},
		{name: "an acr of another issuer's vocabulary", step: both, token: token("urn:example:loa:3", passwordOTP, now),
			challenge: stepUpChallenge("a stronger sign-in is required")},
		{name: "no acr: a client's own token", step: both, token: iss.Token("list:users"),
			challenge: stepUpChallenge("a stronger sign-in is required")},
		{name: "acr not a string", step: both, token: iss.Sign(nil, wrongType), challenge: stepUpChallenge("a stronger sign-in is required")},
		{name: "mfa six minutes ago", step: both, token: token("mfa", passwordOTP, now.Add(-6*time.Minute)),
			challenge: stepUpChallenge("a more recent sign-in is required")},
		{name: "mfa without auth_time", step: both, token: token("mfa", passwordOTP, time.Time{}),
			challenge: stepUpChallenge("a more recent sign-in is required")},
		{name: "acr only: an old mfa sign-in", step: guard.StepUp{ACR: []string{"mfa"}}, token: token("mfa", passwordOTP, now.Add(-24*time.Hour))},
		{name: "acr only: sfa", step: guard.StepUp{ACR: []string{"mfa"}}, token: token("sfa", password, now),
			challenge: `Bearer realm="https://api.example.com", error="insufficient_user_authentication", error_description="a stronger sign-in is required", acr_values="mfa"`},
		{name: "max age only: a recent password", step: guard.StepUp{MaxAge: time.Minute}, token: token("sfa", password, now)},
		{name: "max age only: an old passkey", step: guard.StepUp{MaxAge: time.Minute}, token: token("phr", passkey, now.Add(-time.Hour)),
			challenge: `Bearer realm="https://api.example.com", error="insufficient_user_authentication", error_description="a more recent sign-in is required", max_age="60"`},
		{name: "observed refusal", step: both, guard: observed, token: token("sfa", password, now),
			challenge: stepUpChallenge("a stronger sign-in is required")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gg := tt.guard
			if gg == nil {
				gg = g
			}
			w := serve(gg.Middleware(gg.RequireScopes("list:users")(gg.RequireAuthentication(tt.step)(ok))), "Bearer "+tt.token)
			if tt.challenge == "" {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d, want 200; %s %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
				}
				return
			}
			if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("status %d, WWW-Authenticate:\n got %s\nwant %s", w.Code, w.Header().Get("WWW-Authenticate"), tt.challenge)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if body["error"] != "insufficient_user_authentication" || !strings.Contains(tt.challenge, `error_description="`+fmt.Sprint(body["error_description"])+`"`) ||
				body["acr_values"] != nil && !strings.Contains(tt.challenge, `acr_values="`+body["acr_values"].(string)+`"`) ||
				body["max_age"] != nil && !strings.Contains(tt.challenge, fmt.Sprintf(`max_age="%v"`, body["max_age"])) ||
				(body["acr_values"] == nil) == strings.Contains(tt.challenge, "acr_values") ||
				(body["max_age"] == nil) == strings.Contains(tt.challenge, "max_age") {
				t.Fatalf("body %v does not mirror the challenge %s", body, tt.challenge)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(outcomes, []string{guard.OutcomeInsufficientUserAuthentication}) {
		t.Errorf("observed outcomes %v, want one %s", outcomes, guard.OutcomeInsufficientUserAuthentication)
	}
}

// TestRequireAuthenticationDPoP: a DPoP-bound token's refusal is
// challenged under the DPoP scheme, which the request used.
func TestRequireAuthenticationDPoP(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	g := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed})
	h := g.Middleware(g.RequireAuthentication(guard.StepUp{ACR: []string{"mfa", "phr"}, MaxAge: 5 * time.Minute})(whoami))
	for _, tt := range []struct {
		name string
		acr  string
		want refusal
	}{
		{name: "mfa", acr: "mfa", want: refusal{status: http.StatusOK}},
		{name: "sfa", acr: "sfa", want: refusal{status: http.StatusUnauthorized, schemes: "DPoP", on: "DPoP", code: "insufficient_user_authentication"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok := iss.Sign(nil, guardtest.Bind(guardtest.SignedIn(iss.Claims(""), tt.acr, passwordOTP, time.Now()), s.JKT))
			w := send(h, http.MethodGet, "/users", "DPoP "+tok, s.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: tok}))
			if tt.want.status == http.StatusOK {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				return
			}
			checkRefusal(t, w, tt.want)
			if ch := w.Header().Get("WWW-Authenticate"); !strings.Contains(ch, `acr_values="mfa phr", max_age="300", algs=`) {
				t.Fatalf("DPoP challenge %s lacks the step-up attributes", ch)
			}
		})
	}
}

// TestCallerSignIn checks the accessors of the sign-in claims, present
// and absent.
func TestCallerSignIn(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL)
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	c, err := g.Verify(t.Context(), iss.Sign(nil, guardtest.SignedIn(iss.Claims("list:users"), "mfa", passwordOTP, at)))
	if err != nil {
		t.Fatal(err)
	}
	amr := c.AMR()
	if c.ACR() != "mfa" || !slices.Equal(amr, passwordOTP) || !c.AuthTime().Equal(at) {
		t.Fatalf("ACR %q, AMR %v, AuthTime %v; want mfa, %v, %v", c.ACR(), amr, c.AuthTime(), passwordOTP, at)
	}
	amr[0] = "changed"
	if c.AMR()[0] != "pwd" {
		t.Fatal("AMR returned the Caller's own slice")
	}
	c, err = g.Verify(t.Context(), iss.Token("list:users"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ACR() != "" || c.AMR() != nil || !c.AuthTime().IsZero() {
		t.Fatalf("a client's token: ACR %q, AMR %v, AuthTime %v; want none", c.ACR(), c.AMR(), c.AuthTime())
	}
}

// TestRequireAuthenticationWithoutMiddleware checks that a step-up check
// wired without the middleware fails closed.
func TestRequireAuthenticationWithoutMiddleware(t *testing.T) {
	g := newGuard(t, newIssuer(t).URL)
	w := serve(g.RequireAuthentication(guard.StepUp{ACR: []string{"mfa"}})(ok), "")
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Bearer realm="https://api.example.com"` {
		t.Errorf("status %d %q, want 401 without an error", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestRequireAuthenticationPanics(t *testing.T) {
	g := newGuard(t, newIssuer(t).URL)
	for _, tt := range []struct {
		name string
		step guard.StepUp
	}{
		{"nothing required", guard.StepUp{}},
		{"empty acr", guard.StepUp{ACR: []string{""}}},
		{"acr with a space", guard.StepUp{ACR: []string{"mfa phr"}}},
		{"acr with a quote", guard.StepUp{ACR: []string{`m"fa`}}},
		{"acr with a backslash", guard.StepUp{ACR: []string{`m\fa`}}},
		{"negative max age", guard.StepUp{MaxAge: -time.Second}},
		{"max age not whole seconds", guard.StepUp{ACR: []string{"mfa"}, MaxAge: 1500 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("RequireAuthentication(%+v) did not panic", tt.step)
				}
			}()
			g.RequireAuthentication(tt.step)
		})
	}
}

// TestStepUpEndToEnd runs an API on a loopback server: a DPoP client
// (dpop.Transport) with a password sign-in's token is refused with the
// challenge, which it reads as a Go client would, and passes once it holds
// a token of a second factor.
func TestStepUpEndToEnd(t *testing.T) {
	iss := newIssuer(t)
	mux := http.NewServeMux()
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	g := newGuard(t, iss.URL, func(o *guard.Options) {
		o.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: api.URL}
	})
	mux.Handle("DELETE /users/{id}", g.Middleware(g.RequireScopes("write:users")(
		g.RequireAuthentication(guard.StepUp{ACR: []string{"mfa", "phr"}, MaxAge: 5 * time.Minute})(http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) {
				c, _ := guard.CallerFromContext(r.Context())
				fmt.Fprintf(w, "deleted %s by %s after %s", r.PathValue("id"), c.Subject(), c.ACR())
			})))))
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	jkt := key.Thumbprint()
	call := func(token string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodDelete, api.URL+"/users/7", nil)
		req.Header.Set("Authorization", "DPoP "+token)
		resp, err := dpop.HTTPClient(key, nil).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}
	sfa := iss.Sign(nil, guardtest.Bind(guardtest.SignedIn(iss.Claims("write:users"), "sfa", password, time.Now()), jkt))
	resp, _ := call(sfa)
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(ch, "DPoP ") ||
		!strings.Contains(ch, `error="insufficient_user_authentication"`) || !strings.Contains(ch, `acr_values="mfa phr", max_age="300"`) {
		t.Fatalf("password sign-in: %d %s", resp.StatusCode, ch)
	}
	mfa := iss.Sign(nil, guardtest.Bind(guardtest.SignedIn(iss.Claims("write:users"), "mfa", passwordOTP, time.Now()), jkt))
	if resp, body := call(mfa); resp.StatusCode != http.StatusOK || body != "deleted 7 by user-1 after mfa" {
		t.Fatalf("second factor: %d %q", resp.StatusCode, body)
	}
}
