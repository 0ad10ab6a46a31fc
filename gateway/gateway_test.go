package gateway_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
)

// seen is what the echo upstream received.
type seen struct {
	Path    string      `json:"path"`
	Host    string      `json:"host"`
	Headers http.Header `json:"headers"`
}

// echo is an upstream that answers with what it received.
func echo(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(seen{Path: r.URL.Path, Host: r.Host, Headers: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// start runs a gateway for issuer with routes, behind a loopback server.
func start(t *testing.T, issuer string, change func(*gateway.Config), routes ...gateway.Route) *httptest.Server {
	t.Helper()
	cfg := gateway.Config{
		Listen:   "127.0.0.1:0",
		Issuer:   issuer,
		Audience: authservertest.API,
		Routes:   routes,
	}
	if change != nil {
		change(&cfg)
	}
	gw, err := gateway.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		srv.Close()
		gw.Close()
	})
	return srv
}

// do sends a request through the gateway and returns the answer with its
// body read.
func do(t *testing.T, method, url, token string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestGateway(t *testing.T) {
	issuer := authservertest.New(t)
	users, admin := echo(t), echo(t)
	gw := start(t, issuer.URL, nil,
		gateway.Route{Path: "/users", Methods: []string{"GET"}, Upstream: users.URL, Scopes: []string{"list:users"}},
		gateway.Route{Path: "/users/admin", Upstream: admin.URL + "/base", Scopes: []string{"write:users"}},
	)
	list := issuer.Token(t, "list:users")
	all := issuer.Token(t, "")
	forged := http.Header{
		"X-Portcullis-Subject":   {"admin"},
		"x_portcullis_client_id": {"admin-client"},
		"X-Portcullis-SCOPE":     {"write:users"},
		"X-Forwarded-For":        {"10.0.0.1"},
	}

	tests := []struct {
		name      string
		method    string
		path      string
		token     string
		status    int
		upstream  string // the echo that must have answered
		wantPath  string
		wantError string // error member of a JSON refusal
	}{
		{name: "list", method: "GET", path: "/users", token: list, status: 200, upstream: users.URL, wantPath: "/users"},
		{name: "below the route", method: "GET", path: "/users/42", token: list, status: 200, upstream: users.URL, wantPath: "/users/42"},
		{name: "HEAD on a GET route", method: "HEAD", path: "/users", token: list, status: 200},
		{name: "most specific route", method: "DELETE", path: "/users/admin/7", token: all, status: 200, upstream: admin.URL, wantPath: "/base/users/admin/7"},
		{name: "no token", method: "GET", path: "/users", status: 401},
		{name: "bad token", method: "GET", path: "/users", token: "garbage", status: 401, wantError: "invalid_token"},
		{name: "missing scope", method: "DELETE", path: "/users/admin", token: list, status: 403, wantError: "insufficient_scope"},
		{name: "method not allowed", method: "POST", path: "/users", token: all, status: 405, wantError: "method_not_allowed"},
		{name: "no route", method: "GET", path: "/orders", token: all, status: 404, wantError: "not_found"},
		{name: "dot segments", method: "GET", path: "/users/../users/admin", token: list, status: 400, wantError: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, gw.URL+tt.path, tt.token, forged)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				var e struct {
					Error string `json:"error"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error != tt.wantError {
					t.Errorf("body %s, want error %q", body, tt.wantError)
				}
				if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer realm=") {
					t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
				}
				if tt.status == 405 && resp.Header.Get("Allow") != "GET" {
					t.Errorf("Allow %q", resp.Header.Values("Allow"))
				}
				return
			}
			if tt.method == "HEAD" {
				return
			}
			var got seen
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if got.Path != tt.wantPath || "http://"+got.Host != tt.upstream {
				t.Errorf("upstream saw %s%s, want %s%s", got.Host, got.Path, tt.upstream, tt.wantPath)
			}
			h := got.Headers
			if h.Get("Authorization") != "Bearer "+tt.token {
				t.Errorf("Authorization not forwarded: %q", h.Get("Authorization"))
			}
			for name, want := range map[string]string{
				"X-Portcullis-Subject":   issuer.ClientID,
				"X-Portcullis-Client-Id": issuer.ClientID,
			} {
				if v := h.Values(name); len(v) != 1 || v[0] != want {
					t.Errorf("%s = %q, want [%s]", name, v, want)
				}
			}
			if scope := h.Get("X-Portcullis-Scope"); !strings.Contains(scope, "list:users") || tt.token == list && scope != "list:users" {
				t.Errorf("X-Portcullis-Scope = %q", scope)
			}
			if v := h.Values("X_portcullis_client_id"); len(v) != 0 {
				t.Errorf("client's underscore spelling reached the upstream: %q", v)
			}
			if xff := h.Get("X-Forwarded-For"); xff != "127.0.0.1" {
				t.Errorf("X-Forwarded-For = %q, want the gateway's view of the client only", xff)
			}
		})
	}
}

func TestGatewayIdentityHeaderNames(t *testing.T) {
	issuer := authservertest.New(t)
	up := echo(t)
	gw := start(t, issuer.URL, func(c *gateway.Config) {
		c.IdentityHeaders = gateway.IdentityHeaders{Subject: "X-User", ClientID: "X-Client", Scope: "X-Scopes"}
	}, gateway.Route{Path: "/", Upstream: up.URL})
	resp, body := do(t, "GET", gw.URL+"/x", issuer.Token(t, "read:users"), http.Header{"X-User": {"admin"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got seen
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if v := got.Headers.Values("X-User"); len(v) != 1 || v[0] != issuer.ClientID {
		t.Errorf("X-User = %q", v)
	}
	if got.Headers.Get("X-Scopes") != "read:users" || got.Headers.Get("X-Client") != issuer.ClientID {
		t.Errorf("headers %v", got.Headers)
	}
	if got.Headers.Get("X-Portcullis-Subject") != "" {
		t.Error("default header set although renamed")
	}
}

// TestGatewayStreamsResponses has the upstream send a chunked response in
// two parts and wait between them for the client to have read the first:
// a gateway that buffered would never deliver it.
func TestGatewayStreamsResponses(t *testing.T) {
	issuer := authservertest.New(t)
	read := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-read:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "second\n")
	}))
	defer up.Close()
	gw := start(t, issuer.URL, nil, gateway.Route{Path: "/events", Upstream: up.URL})

	req, _ := http.NewRequest("GET", gw.URL+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+issuer.Token(t, ""))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != -1 {
		t.Errorf("ContentLength %d, want a streamed (chunked) body", resp.ContentLength)
	}
	lines := bufio.NewReader(resp.Body)
	first := make(chan string, 1)
	go func() {
		line, _ := lines.ReadString('\n')
		first <- line
	}()
	select {
	case line := <-first:
		if line != "first\n" {
			t.Fatalf("first part %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first part never arrived: the gateway buffers responses")
	}
	close(read)
	if rest, err := io.ReadAll(lines); err != nil || string(rest) != "second\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// TestGatewayStreamsRequests sends a request body in two parts, the second
// only once the upstream has received the first.
func TestGatewayStreamsRequests(t *testing.T) {
	issuer := authservertest.New(t)
	got := make(chan string, 2)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := bufio.NewReader(r.Body)
		for {
			line, err := body.ReadString('\n')
			if err != nil {
				break
			}
			got <- line
		}
		_, _ = io.WriteString(w, "done")
	}))
	defer up.Close()
	gw := start(t, issuer.URL, nil, gateway.Route{Path: "/upload", Upstream: up.URL})

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", gw.URL+"/upload", pr)
	req.Header.Set("Authorization", "Bearer "+issuer.Token(t, ""))
	answer := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			close(answer)
			return
		}
		answer <- resp
	}()
	_, _ = io.WriteString(pw, "part one\n")
	select {
	case line := <-got:
		if line != "part one\n" {
			t.Fatalf("upstream got %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first part never reached the upstream: the gateway buffers requests")
	}
	_, _ = io.WriteString(pw, "part two\n")
	pw.Close()
	resp, ok := <-answer
	if !ok {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || <-got != "part two\n" {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestGatewayUpstreamFailures(t *testing.T) {
	issuer := authservertest.New(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	release := make(chan struct{})
	defer close(release)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	gw := start(t, issuer.URL, func(c *gateway.Config) { c.UpstreamTimeout = 50 * time.Millisecond },
		gateway.Route{Path: "/down", Upstream: down.URL},
		gateway.Route{Path: "/slow", Upstream: slow.URL},
	)
	token := issuer.Token(t, "")
	tests := []struct {
		name      string
		path      string
		status    int
		wantError string
	}{
		{name: "connection refused", path: "/down", status: http.StatusBadGateway, wantError: "bad_gateway"},
		{name: "no answer in time", path: "/slow", status: http.StatusGatewayTimeout, wantError: "gateway_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", gw.URL+tt.path, token, nil)
			var e struct {
				Error string `json:"error"`
			}
			if resp.StatusCode != tt.status || json.Unmarshal(body, &e) != nil || e.Error != tt.wantError {
				t.Errorf("status %d body %s, want %d %s", resp.StatusCode, body, tt.status, tt.wantError)
			}
		})
	}
}

func TestNewRefusesInvalidConfig(t *testing.T) {
	_, err := gateway.New(t.Context(), gateway.Config{Listen: "127.0.0.1:0"}, nil)
	var ce *gateway.ConfigError
	if !errors.As(err, &ce) || ce.Key != "gateway.issuer" {
		t.Errorf("New: %v, want a ConfigError for gateway.issuer first", err)
	}
}
