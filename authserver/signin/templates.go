package signin

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed templates/*.html templates/portcullis.css
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
// no page, or fails to parse, is an error naming the file and the line.
func loadTemplates(dir string) (*template.Template, error) {
	t := template.Must(template.ParseFS(templateFS, "templates/*.html"))
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
	return t, nil
}

// pageNames lists the embedded templates' file names.
func pageNames(t *template.Template) string {
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return strings.Join(names, ", ")
}
