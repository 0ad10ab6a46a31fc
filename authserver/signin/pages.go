package signin

import (
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html templates/portcullis.css
var templateFS embed.FS

var (
	pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))
	css   = must(templateFS.ReadFile("templates/portcullis.css"))
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// pageHeaders are sent with every HTML page: no framing (clickjacking), no
// referrer (authorization URLs carry state), no caching, and a policy that
// allows nothing but the stylesheet. form-action is left out on purpose:
// browsers apply it to the redirect that follows a form post, which must
// reach the client's redirect URI.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// render writes a page. A template failure is a bug; it is logged.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	pageHeaders(w)
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
	}
}

// errorPage is shown when an authorization request cannot be answered by a
// redirect: the client is unknown or the redirect URI is not registered
// (RFC 6749 section 4.1.2.1 forbids redirecting then).
type errorPage struct {
	Title, Message string
}

func (s *Server) renderError(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "error.html", errorPage{Title: title, Message: message})
}

func (s *Server) handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(css)
}
