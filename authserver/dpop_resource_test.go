package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
)

// TestDPoPIntrospection: a bound token introspects with its cnf and
// token_type DPoP (RFC 9449 section 6.2); the answer's shape is pinned.
func TestDPoPIntrospection(t *testing.T) {
	as := authservertest.New(t)
	auth := basic(as.ClientID, as.ClientSecret)
	key := newKey(t)
	tok := as.DPoPToken(t, key, "list:users")
	resp := post(t, as.URL+"/introspect", "application/x-www-form-urlencoded", url.Values{"token": {tok}}.Encode(), auth)
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Active    bool                     `json:"active"`
		TokenType string                   `json:"token_type"`
		Cnf       *authserver.Confirmation `json:"cnf"`
	}
	if err := json.Unmarshal(raw, &got); err != nil || !got.Active || got.TokenType != "DPoP" || got.Cnf == nil || got.Cnf.JKT != key.Thumbprint() {
		t.Fatalf("introspection of a bound token: %s", raw)
	}
	golden(t, "introspection_dpop.json", raw, map[*regexp.Regexp]string{
		regexp.MustCompile(regexp.QuoteMeta(as.URL)):       "http://127.0.0.1:PORT",
		regexp.MustCompile(`"(exp|iat)":\d+`):              `"$1":0`,
		regexp.MustCompile(`"(jti|jkt)":"[A-Za-z0-9_-]+"`): `"$1":"…"`,
	})
}

// userInfo calls the UserInfo endpoint with the Authorization header authz
// and the DPoP header values proofs.
func userInfo(t *testing.T, as *authservertest.Server, method, authz string, proofs ...string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, as.URL+"/userinfo", nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		req.Header.Add(dpop.Header, p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// boundUserToken signs the demo user in for the web client and redeems
// the code with a proof of s's key.
func boundUserToken(t *testing.T, as *authservertest.Server, s *dpoptest.Signer) string {
	t.Helper()
	f := webFlow(as, "openid", "email")
	proof := s.Proof(dpoptest.Request{Method: http.MethodPost, URL: as.URL + "/token"})
	status, _, body := dpopPost(t, as.URL+"/token", exchangeForm(f, codeAt(t, as, f, f.authURL())), []string{proof}, basic(as.WebClientID, as.WebClientSecret))
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("bound token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// TestDPoPUserInfo: a bound token is served only under the DPoP scheme
// with a proof of its key carrying ath (RFC 9449 section 7); a bound token
// under Bearer and an unbound one under DPoP are refused, with the error
// in the challenge of the scheme used and both challenges offered.
func TestDPoPUserInfo(t *testing.T) {
	as := authservertest.New(t)
	s := dpoptest.NewSigner(t)
	tok := boundUserToken(t, as, s)
	_, _, plain := signedIn(t, as, "openid")
	proof := func(method string) string {
		return s.Proof(dpoptest.Request{Method: method, URL: as.URL + "/userinfo", AccessToken: tok})
	}
	tests := []struct {
		name, method, authz string
		proofs              []string
		status              int
		// used is the scheme whose challenge carries error, the code.
		used, error string
	}{
		{"DPoP scheme and proof", "GET", "DPoP " + tok, []string{proof("GET")}, 200, "", ""},
		{"by POST", "POST", "DPoP " + tok, []string{proof("POST")}, 200, "", ""},
		{"bound token under Bearer", "GET", "Bearer " + tok, nil, 401, "Bearer", "invalid_token"},
		{"bound token under Bearer with a proof", "GET", "Bearer " + tok, []string{proof("GET")}, 401, "Bearer", "invalid_token"},
		{"DPoP scheme without a proof", "GET", "DPoP " + tok, nil, 401, "DPoP", dpop.CodeInvalidProof},
		{"proof for another method", "GET", "DPoP " + tok, []string{proof("POST")}, 401, "DPoP", dpop.CodeInvalidProof},
		{"unbound token under DPoP", "GET", "DPoP " + plain.AccessToken, nil, 401, "DPoP", "invalid_token"},
		{"unbound token under Bearer", "GET", "Bearer " + plain.AccessToken, nil, 200, "", ""},
		{"garbage under DPoP", "GET", "DPoP garbage", nil, 401, "DPoP", "invalid_token"},
		{"no token", "GET", "", nil, 401, "Bearer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h := userInfo(t, as, tt.method, tt.authz, tt.proofs...)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%q)", status, tt.status, h.Values("WWW-Authenticate"))
			}
			if tt.status == 200 {
				return
			}
			wantChallenges(t, h, tt.used, tt.error)
		})
	}
}

// wantChallenges checks an answer offers the Bearer and the DPoP
// challenge (with algs), in that order, the one of scheme used carrying
// code (none when code is "").
func wantChallenges(t *testing.T, h http.Header, used, code string) {
	t.Helper()
	ch := h.Values("WWW-Authenticate")
	if len(ch) != 2 || !strings.HasPrefix(ch[0], "Bearer ") || !strings.HasPrefix(ch[1], "DPoP ") {
		t.Fatalf("challenges %q, want Bearer then DPoP", ch)
	}
	if used == "DPoP" {
		ch[0], ch[1] = ch[1], ch[0]
	}
	for _, c := range ch {
		if strings.HasPrefix(c, "DPoP ") && !strings.Contains(c, `algs="ES256 `) {
			t.Fatalf("DPoP challenge %q without algs", c)
		}
	}
	if code == "" {
		if strings.Contains(ch[0]+ch[1], "error=") {
			t.Fatalf("challenges %q carry an error without a token", ch)
		}
		return
	}
	if !strings.Contains(ch[0], `error="`+code+`"`) || strings.Contains(ch[1], "error=") {
		t.Fatalf("challenges %q, want error %q in the %s challenge only", ch, code, used)
	}
}

// TestDPoPUserInfoDefects sends the shared table of proof defects, with
// ath and the token's key, to the UserInfo endpoint with server nonces
// on: each is a 401 DPoP challenge with its error.
func TestDPoPUserInfoDefects(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) { c.DPoP.Nonce = true })
	s := dpoptest.NewSigner(t)
	// The token request learns the nonce first, as clients do.
	_, h, _ := dpopPost(t, as.URL+"/token", ccForm, nil, basic(as.ClientID, as.ClientSecret))
	nonce := h.Get(dpop.NonceHeader)
	f := webFlow(as, "openid")
	tokenProof := s.Proof(dpoptest.Request{Method: http.MethodPost, URL: as.URL + "/token", Nonce: nonce})
	status, _, body := dpopPost(t, as.URL+"/token", exchangeForm(f, codeAt(t, as, f, f.authURL())), []string{tokenProof}, basic(as.WebClientID, as.WebClientSecret))
	if status != http.StatusOK {
		t.Fatalf("bound token: %d %v", status, body)
	}
	tok := body["access_token"].(string)
	req := dpoptest.Request{Method: http.MethodGet, URL: as.URL + "/userinfo", AccessToken: tok, Nonce: nonce}
	for _, d := range s.Defects(req) {
		t.Run(d.Name, func(t *testing.T) {
			status, h := userInfo(t, as, http.MethodGet, "DPoP "+tok, d.Header...)
			if status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", status)
			}
			wantChallenges(t, h, "DPoP", d.Code)
			if h.Get(dpop.NonceHeader) == "" {
				t.Fatal("no fresh DPoP-Nonce")
			}
		})
	}
	if status, _ := userInfo(t, as, http.MethodGet, "DPoP "+tok, s.Proof(req)); status != http.StatusOK {
		t.Fatalf("good proof: %d", status)
	}
}
