package agent_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestStepUpParams: the app passes an API's step-up challenge (RFC 9470
// section 4: acr_values and max_age) through extraParams, which the agent
// puts in the authorization request unchanged.
func TestStepUpParams(t *testing.T) {
	op := newTestOP(t, appURL)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	q := mustParse(t, b.start(map[string]string{"acr_values": "mfa phr", "max_age": "300"})).Query()
	if q.Get("acr_values") != "mfa phr" || q.Get("max_age") != "300" {
		t.Fatalf("authorization request %v lacks the step-up parameters", q)
	}
}

// TestStepUpLogin: a signed-in app starts another login with max_age and
// acr_values against Portcullis (the request pushed, RFC 9126): the user
// proves themself again although the session is fresh, and /claims shows
// the new ID token's acr, amr and auth_time to the app, which is how it
// tells how the user signed in.
func TestStepUpLogin(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	if s := b.signIn(as.Username, as.Password); !s.IsLoggedIn {
		t.Fatalf("sign-in: %+v", s)
	}
	// The provider's session would sign in again silently without
	// max_age=0; sfa keeps the test to what a password can meet.
	stepUp := map[string]string{"acr_values": "sfa", "max_age": "0"}
	// A pushed request is used once: one to look at, one to sign in.
	if a := b.do(http.MethodGet, b.start(stepUp), nil); a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`name="password"`)) {
		t.Fatalf("max_age=0 did not reach the provider: %d %.300s", a.status, a.body)
	}
	if s := b.end(b.landing(b.start(stepUp), as.Username, as.Password)); !s.Handled || !s.IsLoggedIn {
		t.Fatalf("step-up login: %+v", s)
	}
	var c struct {
		ACR      string   `json:"acr"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	a := b.get("/claims")
	a.decode(t, &c)
	if a.status != http.StatusOK || c.ACR != "sfa" || !slices.Equal(c.AMR, []string{"pwd"}) || c.AuthTime == 0 {
		t.Fatalf("/claims: %d %s", a.status, a.body)
	}
}
