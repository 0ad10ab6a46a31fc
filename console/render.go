package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/theme"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/console.css
var styleSheet string

// pages are the console's templates, each page parsed with the layout.
type pages struct{ t map[string]*template.Template }

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
	// dict passes named arguments to the field templates.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// loadPages parses every page template with the layout.
func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

// view is what every page template receives: the layout's fields, and
// the page's own in Data.
type view struct {
	// Brand is the deployment's theme: its name, logo and support link.
	Brand *theme.Theme
	// Favicon is the theme's icon, served by the sign-in pages.
	Favicon string
	// Base is the console's path, ending in "/", for links and forms.
	Base  string
	Title string
	// Nav names the section the page belongs to, for the menu.
	Nav string
	// User is the signed-in user; nil on pages shown before sign-in.
	User *session
	// Role is "administrator" or "viewer", as the token's scopes make the
	// user.
	Role string
	// CSRF goes into every form.
	CSRF  string
	Flash *flash
	// Can says whether the user may change what the page shows: without
	// it the page has no forms that change anything.
	Can bool
	// Errors are problems with the submitted form, by field name; Form is
	// what was submitted, to fill the form again.
	Errors map[string]string
	Form   url.Values
	Data   any
}

// render writes page name with v and status. The page is rendered into a
// buffer first, so a template failure is a clean 500, not half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v *view) {
	v.Brand, v.Base, v.User, v.Favicon = c.theme, c.base, s, strings.TrimSuffix(c.base, Path)+"/static/favicon.svg"
	if s != nil {
		v.CSRF = c.csrfToken(s)
		v.Role = s.role()
		if v.Flash == nil {
			v.Flash = c.takeFlash(w, r, s)
		}
	}
	t, ok := c.pages.t[name]
	var buf bytes.Buffer
	if !ok {
		c.cfg.Log.Error("console: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.cfg.Log.Error("console: rendering failed", "page", name, "err", err, "request_id", requestid.From(r.Context()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// problemPage is the data of problem.html.
type problemPage struct {
	Detail    string
	SignIn    bool
	RequestID string
}

// problem renders a page that says what went wrong and what to do next;
// signIn offers to sign in (again).
func (c *Console) problem(w http.ResponseWriter, r *http.Request, status int, title, detail string, signIn bool) {
	c.render(w, r, nil, status, "problem.html", &view{Title: title,
		Data: problemPage{Detail: detail, SignIn: signIn, RequestID: requestid.From(r.Context())}})
}

// fail answers a failure of the console itself, logged with the request
// ID the page shows.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.cfg.Log.Error("console: request failed", "path", r.URL.Path, "err", err, "request_id", requestid.From(r.Context()))
	c.problem(w, r, http.StatusInternalServerError, "Something went wrong", "The console could not complete this request. Try again; if it keeps failing, give the request ID to your administrator.", false)
}
