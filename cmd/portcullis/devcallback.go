package main

import (
	"html/template"
	"net/http"
)

// devRedeemCmd is the command that redeems the demo web client's code: the
// README's "Signing people in" block, which the README test checks the
// callback page shows, so the two stay the same.
const devRedeemCmd = `curl -s -u demo-web:$DEMO_WEB_SECRET -d grant_type=authorization_code -d code=$CODE \
  -d redirect_uri=http://127.0.0.1:3000/callback \
  -d code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk http://127.0.0.1:8080/token`

// devCallbackPage is the demo web client's landing page. A real web app
// would redeem the code itself; the demo shows it, so the reader can run
// the next step of the README's walk-through by hand.
var devCallbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Demo web app: {{if .Code}}signed in{{else}}no code{{end}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}pre{background:#f3f3f3;padding:1rem;overflow-x:auto}</style>
<h1>Demo web app</h1>
{{if .Code}}<p>The authorization server sent back the code <code id="code">{{.Code}}</code>{{if .State}} with state <code>{{.State}}</code>{{end}}.
It lives 60 seconds and works once: in the shell where you pasted the <code>export</code> lines of <code>portcullis dev</code>, run</p>
<pre id="next">CODE={{.Code}}
{{.Command}}</pre>
<p>The answer carries an access token, an ID token and a refresh token.
A code that has expired or was used is refused with <code>invalid_grant</code>: open the authorization URL again for a new one.</p>
{{else if .Error}}<p>The sign-in did not complete: <code>{{.Error}}</code>{{if .Description}}: {{.Description}}{{end}}.</p>
<p>Open the authorization URL again to start over.</p>
{{else}}<p>This is where the authorization server sends the browser back with a <code>code</code>; this request carries none.</p>
{{end}}</html>
`))

// devCallback serves the demo web client's redirect URI, /callback: the
// code and the command that redeems it, or the error the authorization
// server sent back (RFC 6749 section 4.1.2.1).
func devCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := struct{ Code, State, Error, Description, Command string }{
		Code: q.Get("code"), State: q.Get("state"), Error: q.Get("error"), Description: q.Get("error_description"), Command: devRedeemCmd,
	}
	if !shellSafe(data.Code) {
		// The page offers a command to paste into the shell that holds
		// the demo's secrets: a crafted link must not put shell syntax
		// there. The server's codes are base64url.
		data.Code = ""
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Nothing on this page comes from another origin, and the code must
	// not leak to one through the Referer.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	if data.Code == "" {
		w.WriteHeader(http.StatusBadRequest)
	}
	devCallbackPage.Execute(w, data)
}

// withDevCallback serves the example app with the demo web client's
// redirect URI beside it, on the app's origin where the client registered it.
func withDevCallback(app http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", app)
	mux.HandleFunc("GET /callback", devCallback)
	return mux
}

// shellSafe reports whether s is a non-empty run of base64url characters,
// which a shell reads as one plain word.
func shellSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
