package gateway_test

import (
	"bufio"
	"cmp"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
)

// received is one request as the recording upstream got it.
type received struct {
	Method     string
	Path       string
	RawPath    string
	RequestURI string
	Header     http.Header
}

// recorder is an upstream that keeps every request it receives.
type recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func record(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.got = append(rec.got, received{r.Method, r.URL.Path, r.URL.RawPath, r.RequestURI, r.Header.Clone()})
		rec.mu.Unlock()
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(rec.Close)
	return rec
}

// take returns and forgets what the upstream received.
func (rec *recorder) take() []received {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	got := rec.got
	rec.got = nil
	return got
}

// rawGET sends a GET with target and header lines exactly as given, which
// net/http's client would re-encode or refuse, and returns the answer.
func rawGET(t *testing.T, gw *httptest.Server, target, token string, header ...string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", gw.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A bound on a hung gateway, not a timing assertion.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + target + " HTTP/1.1\r\nHost: api.internal:8082\r\nAuthorization: Bearer " + token + "\r\n"
	for _, h := range header {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %q: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestGatewayPaths sends each path as raw bytes with a token that may
// list users but not use the stricter /users/admin route. Refused paths
// answer 400 (or 403, for another spelling of the admin route) and never
// reach the upstream; accepted ones reach it byte for byte.
func TestGatewayPaths(t *testing.T) {
	issuer := authservertest.New(t)
	up := record(t)
	gw := start(t, issuer.URL, nil,
		gateway.Route{Path: "/users", Methods: []string{"GET"}, Upstream: up.URL + "/api", Scopes: []string{"list:users"}},
		gateway.Route{Path: "/users/admin", Methods: []string{"GET"}, Upstream: up.URL + "/api", Scopes: []string{"write:users"}})
	token := issuer.Token(t, "list:users")

	tests := []struct {
		name      string
		target    string
		status    int
		noJSON    bool   // refused by net/http before the gateway sees it
		wantURI   string // what the upstream received, when forwarded
		wantError string // error member of a refusal; invalid_request if empty
	}{
		{name: "plain", target: "/users/42", status: 200, wantURI: "/api/users/42"},
		{name: "trailing slash", target: "/users/", status: 200, wantURI: "/api/users/"},
		{name: "upper-case route forwarded as received", target: "/USERS/42", status: 200, wantURI: "/api/USERS/42"},
		{name: "encoded UTF-8", target: "/users/caf%C3%A9", status: 200, wantURI: "/api/users/caf%C3%A9"},
		{name: "admin route", target: "/users/admin", status: 403, wantError: "insufficient_scope"},
		{name: "admin route, upper case", target: "/users/ADMIN", status: 403, wantError: "insufficient_scope"},
		{name: "admin route, mixed case below", target: "/Users/Admin/7", status: 403, wantError: "insufficient_scope"},
		{name: "encoded question mark", target: "/users/admin%3F", status: 400},
		{name: "encoded hash", target: "/users/admin%23x", status: 400},
		{name: "encoded space", target: "/users/admin%20", status: 400},
		{name: "encoded tab", target: "/users/admin%09", status: 400},
		{name: "encoded no-break space", target: "/users/admin%C2%A0", status: 400},
		{name: "full-width dot dot", target: "/users/%EF%BC%8E%EF%BC%8E/x", status: 400},
		{name: "full-width solidus", target: "/users%EF%BC%8Fadmin", status: 400},
		{name: "full-width letters", target: "/users/%EF%BD%81dmin", status: 400},
		{name: "sub-delimiters", target: "/users/a:b@c!d$e&f'g(h)i*j+k,l=m", status: 200, wantURI: "/api/users/a:b@c!d$e&f'g(h)i*j+k,l=m"},
		{name: "query not checked", target: "/users?a=1&b=%7e", status: 200, wantURI: "/api/users?a=1&b=%7e"},

		{name: "path parameter", target: "/users/admin;x", status: 400},
		{name: "path parameter on the route", target: "/users;x/admin", status: 400},
		{name: "encoded semicolon", target: "/users/admin%3Bx", status: 400},
		{name: "absolute form with a path parameter", target: "http://api.internal:8082/users/admin;x", status: 400},
		{name: "encoded NUL", target: "/users/admin%00", status: 400},
		{name: "encoded newline", target: "/users/admin%0D%0AX-Injected:%201", status: 400},
		{name: "raw NUL", target: "/users/admin\x00", status: 400, noJSON: true},
		{name: "raw DEL", target: "/users/admin\x7f", status: 400, noJSON: true},
		{name: "backslash", target: `/users\..\admin`, status: 400},
		{name: "encoded backslash", target: "/users/..%5Cadmin", status: 400},
		{name: "encoded slash", target: "/users%2F..%2Fadmin", status: 400},
		{name: "dot dot", target: "/users/../admin", status: 400},
		{name: "dot", target: "/users/./admin", status: 400},
		{name: "encoded dot dot", target: "/users/%2E%2E/admin", status: 400},
		{name: "lower-case encoded dot dot", target: "/users/%2e%2e/admin", status: 400},
		{name: "double-encoded dot dot", target: "/users/%252E%252E/admin", status: 400},
		{name: "overlong dot", target: "/users/%C0%AE%C0%AE/admin", status: 400},
		{name: "encoded tilde", target: "/users/%7Eadmin", status: 400},
		{name: "encoded letter", target: "/users/%41dmin", status: 400},
		{name: "lower-case hex", target: "/users/caf%c3%a9", status: 400},
		{name: "empty segment", target: "/users//admin", status: 400},
		{name: "raw non-ASCII", target: "/users/café", status: 400},
		{name: "asterisk", target: "*", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawGET(t, gw, tt.target, token)
			got := up.take()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if len(got) != 0 {
					t.Errorf("a refused request reached the upstream as %q", got[0].RequestURI)
				}
				if tt.noJSON {
					return
				}
				var e struct {
					Error       string `json:"error"`
					Description string `json:"error_description"`
				}
				wantError := cmp.Or(tt.wantError, "invalid_request")
				if resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &e) != nil ||
					e.Error != wantError || e.Description == "" {
					t.Errorf("answer %q %s, want an %s JSON body", resp.Header.Get("Content-Type"), body, wantError)
				}
				return
			}
			if len(got) != 1 || got[0].RequestURI != tt.wantURI {
				t.Fatalf("upstream received %+v, want one request for %q", got, tt.wantURI)
			}
		})
	}
}

// TestGatewayForwardedHeaders sends headers that would make an upstream
// read the request differently from how the gateway checked it, in
// canonical and underscore spellings, and checks which reach the upstream.
func TestGatewayForwardedHeaders(t *testing.T) {
	issuer := authservertest.New(t)
	token := issuer.Token(t, "list:users")
	sent := []string{
		"X-HTTP-Method-Override: DELETE",
		"X-Method-Override: DELETE",
		"X-HTTP-Method: DELETE",
		"X_HTTP_Method_Override: DELETE",
		"X-Original-URL: /admin",
		"X-Rewrite-URL: /admin",
		"X_Original_URL: /admin",
		"X-Forwarded-For: 10.0.0.1",
		"X_Forwarded_For: 10.0.0.2",
		"X-Forwarded-Host: evil.example",
		"X-Forwarded-Proto: https",
		"X-Forwarded-Prefix: /admin",
		"X-Forwarded-Port: 443",
		"X-Forwarded-Server: evil.example",
		"Forwarded: for=10.0.0.1;host=evil.example;proto=https",
		"X-Real-IP: 10.0.0.1",
		"Connection: keep-alive, X-Hop-Named",
		"X-Hop-Named: 1",
		"Keep-Alive: timeout=5",
		"Proxy-Authorization: Basic Zm9vOmJhcg==",
		"Proxy-Connection: keep-alive",
		"X-Kept: yes",
	}
	gone := []string{
		"x-http-method-override", "x-method-override", "x-http-method", "x-original-url", "x-rewrite-url",
		"x-forwarded-prefix", "x-forwarded-port", "x-forwarded-server", "forwarded", "x-real-ip",
		"connection", "x-hop-named", "keep-alive", "proxy-authorization", "proxy-connection",
	}
	tests := []struct {
		name      string
		publicURL string
		wantHost  string
		wantProto string
	}{
		{name: "no public URL", wantHost: "api.internal:8082", wantProto: "http"},
		{name: "public URL", publicURL: "https://api.example.com", wantHost: "api.example.com", wantProto: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := record(t)
			gw := start(t, issuer.URL, func(c *gateway.Config) { c.PublicURL = tt.publicURL },
				gateway.Route{Path: "/users", Methods: []string{"GET"}, Upstream: up.URL, Scopes: []string{"list:users"}})
			resp, body := rawGET(t, gw, "/users", token, sent...)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := up.take()
			if len(got) != 1 {
				t.Fatalf("upstream received %d requests", len(got))
			}
			r := got[0]
			if r.Method != "GET" || r.RequestURI != "/users" {
				t.Errorf("upstream received %s %s", r.Method, r.RequestURI)
			}
			folded := map[string][]string{}
			for name, v := range r.Header {
				f := strings.ReplaceAll(strings.ToLower(name), "_", "-")
				folded[f] = append(folded[f], v...)
			}
			for _, name := range gone {
				if v, ok := folded[name]; ok {
					t.Errorf("%s reached the upstream: %q", name, v)
				}
			}
			for name, want := range map[string]string{
				"x-forwarded-for":   "127.0.0.1",
				"x-forwarded-host":  tt.wantHost,
				"x-forwarded-proto": tt.wantProto,
				"x-kept":            "yes",
				"authorization":     "Bearer " + token,
			} {
				if v := folded[name]; len(v) != 1 || v[0] != want {
					t.Errorf("%s = %q, want [%s]", name, v, want)
				}
			}
		})
	}
}
