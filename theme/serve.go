package theme

import (
	"fmt"
	"net/http"
)

// favicon is a portcullis in the accent colour: every page links to it,
// and browsers ask /favicon.ico of pages that do not.
func favicon(accent Color) []byte {
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">`+
		`<rect width="32" height="32" rx="6" fill="%s"/>`+
		`<path d="M7 9h18M7 15h18M7 21h18M10 6v21M16 6v21M22 6v21" stroke="#fff" stroke-width="2.5" fill="none"/>`+
		`</svg>`+"\n", accent)
}

// Favicon is the favicon's SVG.
func (t *Theme) Favicon() []byte { return t.favicon }

// ServeFavicon answers the favicon, at /favicon.ico as at
// /static/favicon.svg: browsers go by the media type, not the name.
func (t *Theme) ServeFavicon(w http.ResponseWriter, r *http.Request) {
	serveStatic(w, "image/svg+xml", t.favicon)
}

// ServeLogo answers the logo file, or 404 when the logo is not a file. An
// SVG could carry script: the policy sandboxes it should anyone open it
// directly rather than through <img>, where scripts never run.
func (t *Theme) ServeLogo(w http.ResponseWriter, r *http.Request) {
	if t.logo == nil {
		http.NotFound(w, r)
		return
	}
	serveStatic(w, t.logoType, t.logo)
}

// serveStatic answers a file of the theme, cacheable for an hour.
func serveStatic(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.Write(body)
}
