package authserver_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestFactorFormsMalformed: with a valid pending request and CSRF token,
// malformed fields of the factor and passkey forms get a 4xx page, never
// a 5xx: garbled and overlong codes, unknown methods, malformed passkey
// responses, a ceremony state of another ceremony.
func TestFactorFormsMalformed(t *testing.T) {
	clk := &clock{t: time.Now()}
	as, _ := mfaServer(t, clk, func(c *authserver.Config) { c.MFA.RPID = "localhost" }, frozenThrottles)
	addTOTP(t, as, clk)
	b := newBrowser(t, as)
	login := b.get(webFlow(as, "openid").authURL())
	loginPasskey := passkeyFields(t, login.body)
	otherState := passkeyFields(t, b.get(webFlow(as, "openid").authURL()).body).Get("state")
	factorPage := b.toFactor(webFlow(as, "openid"))
	factor := authservertest.HiddenFields(factorPage.body)
	with := func(base url.Values, kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	long := strings.Repeat("9", 5000)
	tests := []struct {
		name, path string
		form       url.Values
	}{
		{"totp letters", "/login/factor", with(factor, "method", "totp", "code", "abcdef")},
		{"totp too long", "/login/factor", with(factor, "method", "totp", "code", long)},
		{"totp empty", "/login/factor", with(factor, "method", "totp", "code", "")},
		{"totp unicode digits", "/login/factor", with(factor, "method", "totp", "code", "١٢٣٤٥٦")},
		{"recovery too long", "/login/factor", with(factor, "method", "recovery", "code", long)},
		{"recovery empty", "/login/factor", with(factor, "method", "recovery", "code", "")},
		{"no method", "/login/factor", with(factor, "method", "")},
		{"unknown method", "/login/factor", with(factor, "method", "password", "code", "123456")},
		{"passkey without state", "/login/factor", with(factor, "method", "passkey", "state", "", "response", "{}")},
		{"passkey garbled state", "/login/factor", with(factor, "method", "passkey", "state", "%%%", "response", "{}")},
		{"passkey not JSON", "/login/factor", with(factor, "method", "passkey", "state", otherState, "response", "not json")},
		{"passkey of another ceremony", "/login/factor", with(factor, "method", "passkey", "state", otherState, "response", `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`)},
		{"login passkey not JSON", "/login/passkey", with(loginPasskey, "response", "not json")},
		{"login passkey empty response", "/login/passkey", with(loginPasskey, "response", "")},
		{"login passkey huge response", "/login/passkey", with(loginPasskey, "response", `{"id":"`+strings.Repeat("A", 100000)+`"}`)},
		{"login passkey garbled state", "/login/passkey", with(loginPasskey, "state", "garbled", "response", "{}")},
		{"login passkey wrong shape", "/login/passkey", with(loginPasskey, "response", `{"id":1,"response":[]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b.post(as.URL+tt.path, tt.form)
			if got.status < 400 || got.status >= 500 {
				t.Errorf("%d, want 4xx: %s", got.status, got.body)
			}
		})
	}
	if len(as.Callbacks()) != 0 {
		t.Errorf("a code was issued: %v", as.Callbacks())
	}
}

// passkeyFields are the hidden fields of the login page's passkey form.
func passkeyFields(t *testing.T, body string) url.Values {
	t.Helper()
	i := strings.Index(body, `action="login/passkey"`)
	if i < 0 {
		t.Fatalf("no passkey form on the login page: %s", body)
	}
	return authservertest.HiddenFields(body[i:])
}
