package signin

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/theme"
)

// Page is what every page template receives, with the fields of its own
// (README, "Page templates"): the theme, the page's title and the
// request's ID.
type Page struct {
	// Brand is the deployment's theme: .Brand.Name, .Brand.LogoSrc,
	// .Brand.SupportURL.
	Brand *theme.Theme
	// Title is the page's title, without the deployment's name.
	Title string
	// RequestID is the X-Request-Id of the request, which the logs
	// carry: a person quotes it when asking for help.
	RequestID string
	// Base leads from the page back to the issuer's root, before the
	// layout's relative links ("static/..."): empty for the pages at the
	// root's level, "../" for one a level deeper (the account pages').
	// Relative, so that the pages work under an issuer with a path.
	Base string
}

// pageHeaders are sent with every HTML page: no framing (clickjacking), no
// referrer (authorization URLs carry state), no caching, and a policy that
// allows nothing but the stylesheet, passkey.js and images from this server
// and from imgOrigins: no inline script. form-action is left out on purpose: browsers apply it to the
// redirect that follows a form post, which must reach the client's
// redirect URI.
func pageHeaders(w http.ResponseWriter, imgOrigins ...string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src "+strings.Join(append([]string{"'self'"}, imgOrigins...), " ")+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// origin is the scheme and host of an image URL, for the policy's img-src;
// "" for anything that is not a plain https origin, which could otherwise
// smuggle a directive into the policy.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
		return ""
	}
	return "https://" + u.Host
}

// render writes a page: data is a page struct that embeds Page, whose
// fields render fills. imgOrigins are further origins the page shows
// images from. The page is rendered into a buffer first: a template that
// fails (a bug, or an operator's template's) is logged and answered with
// a plain 500 that names the request, never half a page with status.
func (s *Server) render(w http.ResponseWriter, status int, name, title string, data interface{ page() *Page }, imgOrigins ...string) {
	p := data.page()
	// The request ID middleware has set the response header already.
	p.Brand, p.Title, p.RequestID = s.theme, title, w.Header().Get(requestid.Header)
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render page", "page", name, "err", err, "request_id", p.RequestID)
		pageHeaders(w)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "This page could not be shown. Give the request ID %s to the administrator of %s.\n", p.RequestID, s.theme.Name)
		return
	}
	if o := origin(s.theme.LogoSrc); o != "" {
		imgOrigins = append(imgOrigins, o)
	}
	pageHeaders(w, imgOrigins...)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (p *Page) page() *Page { return p }

// errorPage is shown when a request cannot be answered otherwise: the
// client is unknown or the redirect URI is not registered (RFC 6749
// section 4.1.2.1 forbids redirecting then), a form is stale, a limit is
// reached, the store failed. Message says what happened and what to do.
type errorPage struct {
	Page
	Message string
}

func (s *Server) renderError(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, "error.html", title, &errorPage{Message: message})
}

// handleCSS answers the pages' stylesheet: the theme's custom properties,
// then the rules that use them.
func (s *Server) handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(s.css)
}

// passkeyJS runs the WebAuthn ceremonies of the pages that offer passkeys.
var passkeyJS = must(templateFS.ReadFile("templates/passkey.js"))

func (s *Server) handlePasskeyJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(passkeyJS)
}
