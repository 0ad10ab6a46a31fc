package signin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{name: "unknown page", files: map[string]string{"signin.html": "x"}, err: "signin.html names no page; the pages are consent.html, error.html, index.html, layout.html, login.html, logout.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, text := range tt.files {
				os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644)
			}
			pages, err := loadTemplates(dir)
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
	if _, err := loadTemplates(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing templates_dir loaded")
	}
}
