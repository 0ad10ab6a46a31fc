package main

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/store"
)

// serve mounts the console when the file enables it: a user of the file
// with roles: [admin] signs in through the built-in client and reaches
// the overview, whose pages the console reads from the management API in
// process. Without console: it is not served, and its client does not
// exist.
func TestServeConsole(t *testing.T) {
	const doc = `
issuer: ISSUER
listen: LISTEN
storage: sqlite://portcullis.db
shutdown_delay: 1ms
users:
  - username: root
    password: root-password-1
    claims: {name: Root}
    roles: [admin]
`
	for _, tc := range []struct {
		name    string
		enabled bool
	}{{"enabled", true}, {"disabled", false}} {
		t.Run(tc.name, func(t *testing.T) {
			d := doc
			if tc.enabled {
				d += "console: {enabled: true}\n"
			}
			issuer := serveInProcess(t, d, nil)
			jar, _ := cookiejar.New(nil)
			b := &http.Client{Jar: jar}
			resp, err := b.Get(issuer + "/console/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !tc.enabled {
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("a disabled console answers %d", resp.StatusCode)
				}
				return
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="password"`) {
				t.Fatalf("the console did not send the browser to sign in: %d %s", resp.StatusCode, resp.Request.URL)
			}
			form := url.Values{"username": {"root"}, "password": {"root-password-1"}}
			for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(string(body), -1) {
				form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
			resp, err = b.PostForm(issuer+"/login", form)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != issuer+"/console/" ||
				!strings.Contains(string(body), "Signed in as <strong>Root</strong> (administrator)") || !strings.Contains(string(body), "Key lifecycle") {
				t.Fatalf("after sign-in: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
			}
			// The management API lists the console's client as built in,
			// and the console offers no change to it.
			resp, err = b.Get(issuer + "/console/apps/" + console.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "builtin (the server itself") || strings.Contains(string(body), `method="post" action="/console/apps/`) {
				t.Errorf("the console's client page: %d\n%s", resp.StatusCode, body)
			}
		})
	}
}

// The console's client ID is its own while the console is enabled: a
// file client of that ID stops the start.
func TestConsoleClientReserved(t *testing.T) {
	secret := make([]byte, 32)
	for _, tc := range []struct {
		name    string
		enabled bool
		clients []store.Client
		want    int // clients after, -1 for an error
	}{
		{"enabled", true, []store.Client{{ID: "app"}}, 2},
		{"disabled", false, []store.Client{{ID: "app"}}, 1},
		{"taken", true, []store.Client{{ID: console.ClientID}}, -1},
		{"taken while disabled", false, []store.Client{{ID: console.ClientID}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Issuer: "https://id.example.com", Console: config.Console{Enabled: tc.enabled}}
			got, err := consoleClients(cfg, tc.clients, secret)
			if tc.want < 0 {
				if err == nil || !strings.Contains(err.Error(), console.ClientID) {
					t.Fatalf("err %v, want one naming %s", err, console.ClientID)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("%d clients, %v; want %d", len(got), err, tc.want)
			}
		})
	}
}

// portcullis dev runs the console, with demo an administrator and viewer
// a viewer, and its banner says so.
func TestDevConfigConsole(t *testing.T) {
	var out strings.Builder
	cfg, _, cleanup, err := devConfig(&out, defaultDevStack(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if !cfg.Console.Enabled {
		t.Error("the demo stack's console is off")
	}
	roles := map[string]string{}
	for _, u := range cfg.Users {
		roles[u.Username] = strings.Join(u.Roles, ",")
	}
	if roles["demo"] != "admin" || roles["viewer"] != "viewer" {
		t.Errorf("demo users' roles %v, want demo admin and viewer viewer", roles)
	}
	for _, want := range []string{"Admin console         " + devIssuer + "/console/", "demo is an administrator", "viewer, password "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the banner does not say %q:\n%s", want, out.String())
		}
	}
}

// consoleDoc is a configuration with the console, an administrator, and
// the loopback as a trusted proxy, so that a test's X-Forwarded-For is the
// browser's address.
const consoleDoc = `
issuer: ISSUER
listen: LISTEN
storage: sqlite://portcullis.db
shutdown_delay: 1ms
trusted_proxies: [127.0.0.0/8]
console: {enabled: true}
users:
  - username: root
    password: root-password-1
    roles: [admin]
`

// The console is served as the server's endpoints are: its error pages
// show the request ID the answer carries in X-Request-Id, which the logs
// carry too.
func TestServeConsoleRequestID(t *testing.T) {
	issuer := serveInProcess(t, consoleDoc, nil)
	for _, tc := range []struct{ name, sent string }{{"made", ""}, {"the caller's", "rid-console-1"}} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", issuer+"/console/callback?code=x&state=y", nil)
			if tc.sent != "" {
				req.Header.Set("X-Request-Id", tc.sent)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != http.StatusBadRequest || id == "" || (tc.sent != "" && id != tc.sent) || !strings.Contains(string(body), "Request ID: "+id) {
				t.Fatalf("%d, X-Request-Id %q:\n%s", resp.StatusCode, id, body)
			}
		})
	}
}

// A change made in the console is audited with the browser's address (as
// the server tells it behind trusted proxies), not the in-process call's.
func TestServeConsoleAuditAddress(t *testing.T) {
	const browserAddr = "203.0.113.7"
	issuer := serveInProcess(t, consoleDoc, nil)
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Transport: forwardedFor{browserAddr}}
	get := func(u string) string {
		resp, err := b.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(body)
	}
	body := get(issuer + "/console/")
	form := url.Values{"username": {"root"}, "password": {"root-password-1"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(body, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	resp, err := b.PostForm(issuer+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	body2, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(body2))
	if m == nil {
		t.Fatalf("not signed in: %s\n%s", resp.Request.URL, body2)
	}
	if resp, err = b.PostForm(issuer+"/console/keys/rotate", url.Values{"csrf": {html.UnescapeString(m[1])}}); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	audit := get(issuer + "/console/audit?type=key_rotated")
	row := regexp.MustCompile(`<td>key_rotated</td>.*`).FindString(audit)
	if !strings.Contains(row, "<td>"+browserAddr+"</td>") {
		t.Fatalf("the key rotation was not audited with the browser's address %s: %q\n%s", browserAddr, row, audit)
	}
}

// forwardedFor is a transport that says the request comes from addr, as
// a trusted proxy in front of the server would.
type forwardedFor struct{ addr string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return http.DefaultTransport.RoundTrip(r)
}
