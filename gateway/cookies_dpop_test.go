package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/gateway"
)

// The OAuth Agent's DPoP key secrets: the current one, and the one it
// replaced.
const (
	dpopSecret    = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	oldDPoPSecret = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
)

func dpopKey(t testing.TB, secret string) *dpop.Key {
	t.Helper()
	k, err := agent.DPoPKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// dpopCookieSettings are the agent's cookie settings with DPoP on, the
// key rotated.
func dpopCookieSettings() *agent.CookieConfig {
	c := cookieSettings()
	c.DPoP, c.DPoPKeys = true, agent.Keys{dpopSecret, oldDPoPSecret}
	return c
}

// boundJWT is a JWT-shaped token bound to jkt (cnf.jkt, RFC 9449 section
// 6.1), unsigned: only the guard verifies tokens, and here a stand-in
// takes its place.
func boundJWT(jkt string) string {
	claims := map[string]any{"sub": "alice"}
	if jkt != "" {
		claims["cnf"] = map[string]string{"jkt": jkt}
	}
	b, _ := json.Marshal(claims)
	return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

// TestCookieRouteDPoP: a cookie route turns a token bound to the agent's
// key into "Authorization: DPoP" and a proof of that key for the request,
// htu being the public URL and the path as sent, before the guard (here a
// stand-in that records what it gets) runs; a token not bound goes as a
// bearer token; a token bound to a key the agent dropped goes nowhere.
// Whatever the browser sent as DPoP is replaced.
func TestCookieRouteDPoP(t *testing.T) {
	reader, err := agent.NewCookieReader(*dpopCookieSettings())
	if err != nil {
		t.Fatal(err)
	}
	public, _ := url.Parse("https://api.example.com")
	current, old := dpopKey(t, dpopSecret).Thumbprint(), dpopKey(t, oldDPoPSecret).Thumbprint()
	var got http.Header
	srv := httptest.NewServer(gateway.CookieAuth(reader, public, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	})))
	t.Cleanup(srv.Close)
	tests := []struct {
		name, method, path, token string
		status                    int
		wantJKT                   string // "" with 204: a bearer token
		wantHTU                   string
	}{
		{name: "bound to the current key", method: "GET", path: "/users", token: boundJWT(current), status: 204, wantJKT: current, wantHTU: "https://api.example.com/users"},
		{name: "bound to the previous key", method: "GET", path: "/users", token: boundJWT(old), status: 204, wantJKT: old, wantHTU: "https://api.example.com/users"},
		{name: "POST, query left out of htu", method: "POST", path: "/users/42?expand=all", token: boundJWT(current), status: 204, wantJKT: current, wantHTU: "https://api.example.com/users/42"},
		{name: "encoded path", method: "DELETE", path: "/users/Ren%C3%A9", token: boundJWT(current), status: 204, wantJKT: current, wantHTU: "https://api.example.com/users/Ren%C3%A9"},
		{name: "opaque token", method: "GET", path: "/users", token: "opaque", status: 204, wantJKT: current, wantHTU: "https://api.example.com/users"},
		{name: "not bound", method: "GET", path: "/users", token: boundJWT(""), status: 204},
		{name: "bound to a removed key", method: "GET", path: "/users", token: boundJWT(dpopKey(t, cookieKey).Thumbprint()), status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			resp, body := do(t, tt.method, srv.URL+tt.path, "", http.Header{
				"Origin": {appOrigin}, "Token-Handler-Version": {"1"}, "Dpop": {"from-the-browser"},
				"Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-at", tt.token)},
			})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 204 {
				if got != nil {
					t.Error("the request went on")
				}
				var e struct{ Error string }
				if json.Unmarshal(body, &e); e.Error != "invalid_token" {
					t.Errorf("body %s", body)
				}
				return
			}
			if tt.wantJKT == "" {
				if got.Get("Authorization") != "Bearer "+tt.token || len(got.Values("DPoP")) != 0 {
					t.Errorf("Authorization %q, DPoP %q", got.Get("Authorization"), got.Values("DPoP"))
				}
				return
			}
			if got.Get("Authorization") != "DPoP "+tt.token {
				t.Errorf("Authorization %q", got.Get("Authorization"))
			}
			v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(t.Context(), got, dpop.Request{Method: tt.method, URL: tt.wantHTU, AccessToken: tt.token, JKT: tt.wantJKT}); err != nil {
				t.Errorf("proof: %v", err)
			}
		})
	}
}

// TestCookieDPoPConfig: proofs need the public URL they are made for.
func TestCookieDPoPConfig(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*gateway.Config)
		wantKey string // empty: valid
	}{
		{name: "dpop with a public URL", change: func(c *gateway.Config) { c.PublicURL = "https://api.example.com" }},
		{name: "dpop without a public URL", change: func(*gateway.Config) {}, wantKey: "gateway.public_url"},
		{name: "dpop without cookie routes", change: func(c *gateway.Config) { c.Routes[0].Cookies = false }},
		{name: "dpop without keys", change: func(c *gateway.Config) {
			c.PublicURL = "https://api.example.com"
			c.Cookies.DPoPKeys = nil
		}, wantKey: "gateway.cookies.dpop_keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := gateway.Config{
				Listen: "127.0.0.1:8082", Issuer: "http://127.0.0.1:8080", Audience: "https://api.example.com", Cookies: dpopCookieSettings(),
				Routes: []gateway.Route{{Path: "/users", Upstream: "http://127.0.0.1:9000", Cookies: true}},
			}
			tt.change(&c)
			err := c.Validate()
			var ce *gateway.ConfigError
			switch {
			case tt.wantKey == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.wantKey != "" && (!errors.As(err, &ce) || ce.Key != tt.wantKey):
				t.Errorf("Validate: %v, want a problem with %s", err, tt.wantKey)
			}
		})
	}
}

// TestCookieRouteDPoPChain needs the authorization server's and the
// guard's DPoP support. A token the server bound to the agent's key works
// through a cookie route, and the upstream receives it with a proof it
// can check itself; the same token without the agent's key is worthless:
// as a bearer token, with a proof of another key, or with the proof the
// upstream received (from its log, say), which was used once already.
func TestCookieRouteDPoPChain(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	unstarted := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + unstarted.Listener.Addr().String()
	gw, err := gateway.New(t.Context(), gateway.Config{
		Listen: unstarted.Listener.Addr().String(), PublicURL: publicURL, Issuer: issuer.URL, Audience: authservertest.API, Cookies: dpopCookieSettings(),
		Routes: []gateway.Route{{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}, Cookies: true}},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	t.Cleanup(gw.Close)
	unstarted.Config.Handler = gw
	unstarted.Start()
	t.Cleanup(unstarted.Close)

	key := dpopKey(t, dpopSecret)
	cc := clientcredentials.Config{ClientID: issuer.ClientID, ClientSecret: issuer.ClientSecret, TokenURL: issuer.URL + "/token", Scopes: []string{"list:users"}}
	tok, err := cc.Token(context.WithValue(t.Context(), oauth2.HTTPClient, dpop.HTTPClient(key, nil)))
	if err != nil {
		t.Fatalf("a token bound to the agent's key: %v", err)
	}
	if tok.TokenType != "DPoP" {
		t.Fatalf("token_type %q", tok.TokenType)
	}
	resp, body := do(t, "GET", publicURL+"/users", "", http.Header{"Origin": {appOrigin}, "Cookie": {"pc-at=" + sealCookie(t, cookieKey, "pc-at", tok.AccessToken)}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cookie request: %d %s", resp.StatusCode, body)
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	if s.Headers.Get("Authorization") != "DPoP "+tok.AccessToken {
		t.Errorf("the upstream got Authorization %q", s.Headers.Get("Authorization"))
	}
	v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), s.Headers, dpop.Request{Method: "GET", URL: publicURL + "/users", AccessToken: tok.AccessToken, JKT: key.Thumbprint()}); err != nil {
		t.Errorf("the upstream's proof: %v", err)
	}

	other, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	otherProof, err := other.Proof("GET", publicURL+"/users", tok.AccessToken, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Header{
		"as a bearer token":           {"Authorization": {"Bearer " + tok.AccessToken}},
		"with a proof of another key": {"Authorization": {"DPoP " + tok.AccessToken}, "Dpop": {otherProof}},
		"with the upstream's proof":   {"Authorization": {"DPoP " + tok.AccessToken}, "Dpop": s.Headers.Values("DPoP")},
	} {
		if resp, body := do(t, "GET", publicURL+"/users", "", h); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the token %s: %d %s", name, resp.StatusCode, body)
		}
	}
}
