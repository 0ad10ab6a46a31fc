package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBrandingInvalid(t *testing.T) {
	base := "issuer: https://id.example.com\nstorage: sqlite://x.db\n"
	client := func(logo string) string {
		return base + "clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [client_credentials], logo_uri: \"" + logo + "\"}\n"
	}
	tests := []struct {
		name, doc, want string
	}{
		{"colour name", base + "branding: {primary_color: red}\n", `branding.primary_color: "red" is not a colour: write #rgb or #rrggbb`},
		{"low contrast", base + "branding: {primary_color: \"#f0f0f0\"}\n", "branding.primary_color: #f0f0f0 has a contrast of 1.14:1 with white button text; WCAG AA needs 4.5:1"},
		{"two logos", base + "branding: {logo_url: \"https://cdn.example.com/l.png\", logo_file: l.png}\n", "branding.logo_url: and logo_file cannot both be set"},
		{"missing logo file", base + "branding: {logo_file: nope.png}\n", "branding.logo_file: read the logo"},
		{"support over http", base + "branding: {support_url: \"http://help.example.com\"}\n", "branding.support_url: must be an https URL"},
		{"unknown branding key", base + "branding: {colour: \"#000\"}\n", "branding.colour: unknown key"},
		{"missing templates_dir", base + "templates_dir: nope\n", "templates_dir: /nope is not a folder"},
		{"client logo over http", client("http://app.example.com/logo.png"), "clients[0].logo_uri: must be an absolute https URL"},
		{"client logo too long", client("https://app.example.com/" + strings.Repeat("a", 2048)), "clients[0].logo_uri: must have at most 2048 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "/", env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestBranding: a valid branding reaches the authorization server as a
// theme, with the logo file read relative to the file and templates_dir
// made absolute; a client's logo_uri reaches the store.
func TestBranding(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "logo.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644)
	os.Mkdir(filepath.Join(dir, "pages"), 0o755)
	doc := "issuer: https://id.example.com\nstorage: sqlite://x.db\ntemplates_dir: pages\n" +
		"branding: {name: Acme, logo_file: logo.svg, primary_color: \"#0b5fff\", support_url: \"mailto:help@acme.example\"}\n" +
		"clients:\n  - {client_id: c, client_secret: " + secret + ", grant_types: [client_credentials], logo_uri: \"https://acme.example/c.png\"}\n"
	cfg, err := Parse([]byte(doc), dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	as := cfg.AuthServer()
	if as.Theme == nil || as.Theme != cfg.Theme() || as.Theme.Name != "Acme" || as.Theme.LogoSrc != "https://id.example.com/static/logo" || as.Theme.SupportURL != "mailto:help@acme.example" {
		t.Fatalf("theme %+v", as.Theme)
	}
	if !strings.Contains(string(as.Theme.Variables()), "--accent: #0b5fff;") {
		t.Errorf("variables %s", as.Theme.Variables())
	}
	if as.TemplatesDir != filepath.Join(dir, "pages") {
		t.Errorf("templates_dir %q", as.TemplatesDir)
	}
	if as.Clients[0].LogoURI != "https://acme.example/c.png" {
		t.Errorf("client logo %q", as.Clients[0].LogoURI)
	}
}
