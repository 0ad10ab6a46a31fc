package authserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// TestPublicPages: the root names the server and links to discovery, the
// favicon is served where browsers ask, other unknown paths stay 404, and
// an error page carries the request ID of its answer.
func TestPublicPages(t *testing.T) {
	as := authservertest.New(t)
	tests := []struct {
		name, path  string
		status      int
		contentType string
		body        []string
	}{
		{name: "landing", path: "/", status: 200, contentType: "text/html; charset=utf-8", body: []string{"<h1>Portcullis</h1>", `href="` + as.URL + `/.well-known/openid-configuration"`}},
		{name: "favicon.ico", path: "/favicon.ico", status: 200, contentType: "image/svg+xml", body: []string{"<svg"}},
		{name: "favicon.svg", path: "/static/favicon.svg", status: 200, contentType: "image/svg+xml", body: []string{"<svg"}},
		{name: "no logo file", path: "/static/logo", status: 404},
		{name: "unknown path", path: "/nothing-here", status: 404},
		{name: "error page", path: "/authorize?client_id=nobody", status: 400, contentType: "text/html; charset=utf-8", body: []string{"Request ID: <code>", "tell the administrator of Portcullis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(as.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || (tt.contentType != "" && resp.Header.Get("Content-Type") != tt.contentType) {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, tt.contentType)
			}
			for _, w := range tt.body {
				if !strings.Contains(string(b), w) {
					t.Errorf("body lacks %q:\n%s", w, b)
				}
			}
			if tt.name == "error page" && !strings.Contains(string(b), resp.Header.Get("X-Request-Id")) {
				t.Errorf("error page does not show its request ID %q", resp.Header.Get("X-Request-Id"))
			}
		})
	}
}
