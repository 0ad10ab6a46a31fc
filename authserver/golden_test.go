package authserver_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, after replacing what differs
// between runs (the loopback port, key material).
func golden(t *testing.T, name string, got []byte, replace map[*regexp.Regexp]string) {
	t.Helper()
	for re, with := range replace {
		got = re.ReplaceAll(got, []byte(with))
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("%s differs from the golden file (run with -update to accept):\n%s", name, pretty.Bytes())
	}
}

func getBody(t *testing.T, h http.Handler, path string) ([]byte, http.Header) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, w.Code)
	}
	return w.Body.Bytes(), w.Header()
}

// TestWireFormats pins the discovery document and the JWKS shape: what
// relying parties parse must not change by accident.
func TestWireFormats(t *testing.T) {
	as := authservertest.New(t)
	port := map[*regexp.Regexp]string{regexp.MustCompile(regexp.QuoteMeta(as.URL)): "http://127.0.0.1:PORT"}
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		body, h := getBody(t, as.Handler, path)
		if h.Get("Content-Type") != "application/json" {
			t.Fatalf("%s Content-Type = %q", path, h.Get("Content-Type"))
		}
		golden(t, "discovery.json", body, port)
	}
	body, h := getBody(t, as.Handler, "/jwks")
	if h.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("JWKS Cache-Control = %q", h.Get("Cache-Control"))
	}
	golden(t, "jwks.json", body, map[*regexp.Regexp]string{
		regexp.MustCompile(`"(kid|x|y|n)":"[^"]+"`): `"$1":"…"`,
	})
}
