package theme_test

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/theme"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		b     theme.Branding
		field string // the field at fault; empty: valid
		msg   string // a part of the message
	}{
		{name: "zero", b: theme.Branding{}},
		{name: "full", b: theme.Branding{Name: "Acme", LogoURL: "https://cdn.example.com/logo.svg", PrimaryColor: "#0B5FFF", SupportURL: "mailto:help@example.com"}},
		{name: "short colour", b: theme.Branding{PrimaryColor: "#036"}},
		{name: "colour without hash", b: theme.Branding{PrimaryColor: "2457c5"}, field: "primary_color", msg: "write #rgb or #rrggbb"},
		{name: "colour name", b: theme.Branding{PrimaryColor: "blue"}, field: "primary_color", msg: "is not a colour"},
		{name: "colour with bad digits", b: theme.Branding{PrimaryColor: "#12345g"}, field: "primary_color", msg: "is not a colour"},
		{name: "too light for white text", b: theme.Branding{PrimaryColor: "#ffcc00"}, field: "primary_color", msg: "contrast of 1.51:1"},
		{name: "just under AA", b: theme.Branding{PrimaryColor: "#808080"}, field: "primary_color", msg: "WCAG AA needs 4.5:1"},
		{name: "two logos", b: theme.Branding{LogoURL: "https://x.example/l.png", LogoFile: "l.png"}, field: "logo_url", msg: "cannot both be set"},
		{name: "http logo", b: theme.Branding{LogoURL: "http://x.example/l.png"}, field: "logo_url", msg: "https"},
		{name: "logo with credentials", b: theme.Branding{LogoURL: "https://u:p@x.example/l.png"}, field: "logo_url", msg: "without credentials"},
		{name: "long logo URL", b: theme.Branding{LogoURL: "https://x.example/" + strings.Repeat("a", 2048)}, field: "logo_url", msg: "at most 2048"},
		{name: "gif logo file", b: theme.Branding{LogoFile: "logo.gif"}, field: "logo_file", msg: ".png, .svg or .webp"},
		{name: "javascript support", b: theme.Branding{SupportURL: "javascript:alert(1)"}, field: "support_url", msg: "https URL"},
		{name: "http support", b: theme.Branding{SupportURL: "http://help.example.com"}, field: "support_url", msg: "https URL"},
		{name: "long name", b: theme.Branding{Name: strings.Repeat("n", 101)}, field: "name", msg: "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := tt.b.Validate()
			if tt.field == "" {
				if ps != nil {
					t.Fatalf("problems %v, want none", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Field != tt.field || !strings.Contains(ps[0].Message, tt.msg) {
				t.Fatalf("problems %v, want one for %s saying %q", ps, tt.field, tt.msg)
			}
		})
	}
}

func TestContrast(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want float64
	}{
		{"black on white", "#000", "#fff", 21},
		{"same colour", "#2457c5", "#2457c5", 1},
		{"default accent", theme.DefaultColor, "#ffffff", 6.5},
		{"grey", "#767676", "#ffffff", 4.54},
	}
	for _, tt := range tests {
		a, _ := theme.ParseColor(tt.a)
		b, _ := theme.ParseColor(tt.b)
		if got := theme.Contrast(a, b); got < tt.want-0.05 || got > tt.want+0.05 {
			t.Errorf("%s: contrast %.3f, want %.2f", tt.name, got, tt.want)
		}
	}
}

// TestVariables compares the emitted custom properties with golden files:
// the default accent, and a dark one that needs lightening for the dark
// scheme.
func TestVariables(t *testing.T) {
	for name, color := range map[string]string{"default": "", "navy": "#001f5c"} {
		th, err := theme.New(theme.Branding{PrimaryColor: color}, "", "https://id.example.com")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("testdata", name+".css"), th.Variables())
		golden(t, filepath.Join("testdata", name+"-favicon.svg"), th.Favicon())
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestLogoFile(t *testing.T) {
	dir := t.TempDir()
	png := "\x89PNG\r\n\x1a\n rest of a png"
	os.WriteFile(filepath.Join(dir, "logo.png"), []byte(png), 0o644)
	os.WriteFile(filepath.Join(dir, "fake.png"), []byte("<svg></svg>"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.svg"), make([]byte, 1<<20+1), 0o644)
	tests := []struct {
		name, file, err string
	}{
		{name: "png", file: "logo.png"},
		{name: "missing", file: "nope.png", err: "branding.logo_file: read the logo"},
		{name: "misnamed", file: "fake.png", err: "is not the image/png image its name says"},
		{name: "too big", file: "big.svg", err: "a logo may have at most 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := theme.New(theme.Branding{LogoFile: tt.file}, dir, "https://id.example.com/")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if th.LogoSrc != "https://id.example.com/static/logo" {
				t.Errorf("LogoSrc %q", th.LogoSrc)
			}
			rec := httptest.NewRecorder()
			th.ServeLogo(rec, httptest.NewRequest("GET", "/static/logo", nil))
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || rec.Body.String() != png {
				t.Errorf("logo answered %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("logo without sandbox policy")
			}
		})
	}
}

func TestNoLogo(t *testing.T) {
	th := theme.Default()
	if th.Name != "Portcullis" || th.LogoSrc != "" {
		t.Fatalf("default theme %+v", th)
	}
	rec := httptest.NewRecorder()
	th.ServeLogo(rec, httptest.NewRequest("GET", "/static/logo", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("logo without a file: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	th.ServeFavicon(rec, httptest.NewRequest("GET", "/favicon.ico", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(rec.Body.String(), theme.DefaultColor) {
		t.Errorf("favicon %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := theme.New(theme.Branding{PrimaryColor: "#fff", SupportURL: "ftp://x"}, "", "")
	if err == nil || !strings.Contains(err.Error(), "branding.primary_color: ") || !strings.Contains(err.Error(), "branding.support_url: ") {
		t.Fatalf("error %v", err)
	}
}
