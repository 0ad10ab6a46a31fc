package signin

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/theme"
)

func TestLoadTemplates(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		err   string // part of the error; empty: loads
		check func(t *testing.T, dir string)
	}{
		{name: "override one page", files: map[string]string{"index.html": `{{template "head" .}}<h1>Our own {{.Brand.Name}}</h1>{{template "foot" .}}`}},
		{name: "parse error names the file and line", files: map[string]string{"login.html": "{{template \"head\" .}}\n<h1>Sign in</h1>\n{{if .Error}\n"}, err: "login.html:3: "},
		{name: "unknown page", files: map[string]string{"signin.html": "x"}, err: "signin.html names no page; the pages are account.html, account_codes.html, account_enrol.html, account_passkey.html, account_totp.html, consent.html, error.html"},
		{name: "page that does not render", files: map[string]string{"login.html": `{{template "head" .}}<h1>{{.Nope}}</h1>{{template "foot" .}}`}, err: "login.html does not render"},
		{name: "layout that breaks every page", files: map[string]string{"layout.html": `{{define "head"}}{{.Brand.Colour}}{{end}}{{define "foot"}}{{end}}`}, err: "does not render"},
		{name: "override with optional parts", files: map[string]string{
			"index.html":   `{{template "head" .}}<h1>Our own {{.Brand.Name}}</h1>{{template "foot" .}}`,
			"consent.html": `{{template "head" .}}{{range .Scopes}}<li>{{.Name}}</li>{{end}}{{if .LogoURI}}<img src="{{.LogoURI}}">{{end}}{{template "foot" .}}`,
			"logout.html":  `{{template "head" .}}{{range $k, $v := .Params}}{{$k}}{{end}}{{with .Username}}{{.}}{{end}}{{template "foot" .}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, text := range tt.files {
				os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644)
			}
			pages, err := loadTemplates(dir, theme.Default())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("error %v, want the path and %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			p := &landingPage{}
			p.Brand, p.Title = theme.Default(), "x"
			if err := pages.ExecuteTemplate(&b, "index.html", p); err != nil || !strings.Contains(b.String(), "<h1>Our own Portcullis</h1>") {
				t.Fatalf("override rendered %q, %v", b.String(), err)
			}
			b.Reset()
			if err := pages.ExecuteTemplate(&b, "error.html", &errorPage{Page: Page{Brand: theme.Default()}, Message: "m"}); err != nil || !strings.Contains(b.String(), "administrator of Portcullis") {
				t.Fatalf("the other pages stay: %q, %v", b.String(), err)
			}
		})
	}
	if _, err := loadTemplates(filepath.Join(t.TempDir(), "missing"), theme.Default()); err == nil {
		t.Error("a missing templates_dir loaded")
	}
}

// A page whose template fails while rendering is a plain 500 naming the
// request, logged, never part of the page with the page's status.
func TestPageRenderFailure(t *testing.T) {
	dir := t.TempDir()
	// Renders with zero data (no error), so it loads; fails when the
	// login page shows an error.
	tmpl := `{{template "head" .}}<h1>Half a page</h1>{{if .Error}}{{.Nope}}{{end}}{{template "foot" .}}`
	if err := os.WriteFile(filepath.Join(dir, "login.html"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err := New(Config{Issuer: "https://id.example.com", TemplatesDir: dir, Secret: make([]byte, 32)}, nil, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		data   *loginPage
		status int
		want   string
	}{
		{"renders", &loginPage{}, http.StatusUnauthorized, "<h1>Half a page</h1>"},
		{"fails", &loginPage{Error: "Wrong password"}, http.StatusInternalServerError, "Give the request ID rid-42 to the administrator of Portcullis."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set(requestid.Header, "rid-42")
			s.render(w, http.StatusUnauthorized, "login.html", "Sign in", tt.data)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("%d %q, want %d with %q", w.Code, w.Body.String(), tt.status, tt.want)
			}
			if tt.status == http.StatusInternalServerError {
				if strings.Contains(w.Body.String(), "Half a page") || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
					t.Errorf("the failed page was sent in part: %q, %s", w.Body.String(), w.Header().Get("Content-Type"))
				}
				if !strings.Contains(logs.String(), "request_id=rid-42") || !strings.Contains(logs.String(), "Nope") {
					t.Errorf("the failure was not logged with the request ID: %s", logs.String())
				}
			}
		})
	}
}
