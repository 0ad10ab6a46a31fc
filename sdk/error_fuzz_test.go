package sdk

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzReadError feeds readError answers a server (or whatever stands in
// for one) may send: it must make an *Error with the answer's status and
// never panic, whatever the body and challenge hold.
func FuzzReadError(f *testing.F) {
	f.Add(400, "application/problem+json", `{"type":"t","title":"Bad Request","status":400,"errors":[{"field":"a","detail":"b"}]}`, "")
	f.Add(403, "text/plain", "", `Bearer realm="x", error="insufficient_scope", error_description="insufficient scope", scope="a b"`)
	f.Add(401, "application/json", `{"status":"x"}`, `Bearer error=, =, error_description`)
	f.Fuzz(func(t *testing.T, status int, contentType, body, challenge string) {
		if status < 400 || status > 599 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		resp.Header.Set("Content-Type", contentType)
		resp.Header.Set("WWW-Authenticate", challenge)
		e, ok := readError("GET /admin/v1/x", resp).(*Error)
		if !ok || e.StatusCode != status || e.Problem.Title == "" {
			t.Fatalf("readError: %#v", e)
		}
		_ = e.Error()
	})
}
