package signin

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/portcullis/portcullis/theme"
)

//go:embed templates/*.html templates/portcullis.css templates/passkey.js
var templateFS embed.FS

// baseCSS is the pages' stylesheet; the theme's custom properties go
// before it (Server.css).
var baseCSS = must(templateFS.ReadFile("templates/portcullis.css"))

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// loadTemplates parses the embedded page templates, then, when dir is
// set, each .html file of dir over the embedded one of the same name, so
// that a deployment replaces only the pages it wants to. A file that names
// no page, or fails to parse, is an error naming the file and the line;
// so is one that fails to render a page with brand and the page's zero
// data (checkPages), so that most mistakes stop the start rather than a
// sign-in.
func loadTemplates(dir string, brand *theme.Theme) (*template.Template, error) {
	// The root is named for no page: an override of the page that would
	// otherwise be the root (the first file, consent.html) replaced it
	// and cut the others off from lookups.
	t := template.Must(template.New("pages").ParseFS(templateFS, "templates/*.html"))
	if dir == "" {
		return t, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil {
		return nil, fmt.Errorf("templates_dir: %w", err)
	}
	if files == nil {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("templates_dir: %w", err)
		}
	}
	for _, path := range files {
		name := filepath.Base(path)
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("templates_dir: %s names no page; the pages are %s", path, pageNames(t))
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("templates_dir: %w", err)
		}
		if _, err := t.New(name).Parse(string(text)); err != nil {
			// The parser names the template, not the file: say which
			// file, keeping its line number.
			msg := strings.Replace(err.Error(), "template: "+name+":", path+":", 1)
			return nil, fmt.Errorf("templates_dir: %s", msg)
		}
	}
	if files != nil {
		if err := checkPages(t, brand, dir); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// pageData is a zero value of each page's data, by template.
func pageData() map[string]interface{ page() *Page } {
	return map[string]interface{ page() *Page }{
		"index.html": &landingPage{}, "login.html": &loginPage{}, "consent.html": &consentPage{},
		"logout.html": &logoutPage{}, "error.html": &errorPage{}, "factor.html": &factorPage{},
		"account.html": &accountPage{}, "account_enrol.html": &enrolPage{}, "account_totp.html": &totpPage{},
		"account_passkey.html": &passkeyPage{}, "account_codes.html": &codesPage{},
	}
}

// checkPages renders every page once with brand and the page's zero data:
// an override of the layout changes them all. Zero data is what a page
// gets when nothing is filled in (no error, no scopes, no user), which a
// valid template renders; a template that reads a field the page does
// not have, or calls one wrongly, fails here. A mistake on a branch the
// zero data does not take is caught only when rendered (render's 500).
func checkPages(t *template.Template, brand *theme.Theme, dir string) error {
	for name, data := range pageData() {
		p := data.page()
		p.Brand, p.Title, p.RequestID = brand, "Check", "check"
		if err := t.ExecuteTemplate(io.Discard, name, data); err != nil {
			return fmt.Errorf("templates_dir %s: %s does not render: %w", dir, name, err)
		}
	}
	return nil
}

// pageNames lists the embedded templates' file names.
func pageNames(t *template.Template) string {
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return strings.Join(names, ", ")
}
