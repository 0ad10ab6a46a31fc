package requestid

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"none sent", "", false},
		{"plain kept", "abc-123_x.y", true},
		{"spaces replaced", "a b", false},
		{"newline replaced", "a\nlevel=ERROR", false},
		{"too long replaced", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = From(r.Context()) }))
			req := httptest.NewRequest("GET", "/", nil)
			if tt.sent != "" {
				req.Header.Set(Header, tt.sent)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if seen == "" || w.Header().Get(Header) != seen || (seen == tt.sent) != tt.keep {
				t.Fatalf("sent %q: context %q, response %q", tt.sent, seen, w.Header().Get(Header))
			}
		})
	}
}

// A handler that carries its own Middleware, mounted behind another,
// keeps the one ID the outer one gave the request.
func TestMiddlewareNested(t *testing.T) {
	var seen string
	h := Middleware(Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = From(r.Context()) })))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if seen == "" || w.Header().Get(Header) != seen {
		t.Fatalf("context %q, response %q: want one ID", seen, w.Header().Get(Header))
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("part", "x")
	log.InfoContext(With(context.Background(), "rid-1"), "hello")
	log.Info("no context")
	out := buf.String()
	if !strings.Contains(out, `"request_id":"rid-1"`) || strings.Count(out, "request_id") != 1 || !strings.Contains(out, `"part":"x"`) {
		t.Fatalf("log output: %s", out)
	}
}
