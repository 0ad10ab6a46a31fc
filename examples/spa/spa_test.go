package spa_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/examples/spa"
)

func TestHandler(t *testing.T) {
	h := spa.Handler(spa.Config{AgentURL: "http://127.0.0.1:8081/oauth-agent", APIURL: "http://127.0.0.1:8082"})
	tests := []struct {
		name, path, contentType, body string
	}{
		{name: "the page, with an authorization response", path: "/?code=c&state=s", contentType: "text/html; charset=utf-8", body: `id="sign-in"`},
		{name: "the script", path: "/app.js", contentType: "text/javascript; charset=utf-8", body: "/login/end"},
		{name: "the configuration", path: "/config.json", contentType: "application/json", body: `{"agentUrl":"http://127.0.0.1:8081/oauth-agent","apiUrl":"http://127.0.0.1:8082"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			body, _ := io.ReadAll(w.Body)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tt.contentType || !strings.Contains(string(body), tt.body) {
				t.Errorf("%d %q: %.200s", w.Code, w.Header().Get("Content-Type"), body)
			}
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:8081 http://127.0.0.1:8082;") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if w.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Error("the page would leak its code in Referer")
			}
		})
	}
}
