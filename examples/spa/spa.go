// Package spa is the example single-page app of the OAuth Agent (package
// agent): plain HTML and JavaScript without a build step, which signs in
// through the agent, shows the user's name from /claims and /userInfo,
// lists users through the gateway's cookie route to the example users
// API, refreshes and signs out, without ever holding a token. Handler
// serves it, for example from portcullis dev.
package spa

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

//go:embed static
var static embed.FS

// Files are the app's files: index.html, app.js and app.css.
var Files fs.FS = mustSub(static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Config tells the app where the agent and the API are; Handler serves it
// as /config.json.
type Config struct {
	// AgentURL is the OAuth Agent's URL with its base path, such as
	// http://127.0.0.1:8081/oauth-agent. Empty means /oauth-agent on the
	// app's own origin.
	AgentURL string `json:"agentUrl,omitempty"`
	// APIURL is the gateway's URL; the app calls APIURL + "/users". Empty
	// means the app's own origin.
	APIURL string `json:"apiUrl,omitempty"`
}

// Handler serves the app: Files, with index.html at "/" (which is where
// the agent's redirect_uri and post_logout_redirect_uri should point, on
// an origin among its trusted_web_origins), and cfg as /config.json. Every
// answer forbids framing and referrers (the page URL carries the
// authorization code for a moment) and limits what the page may connect
// to: its own origin, the agent's and the API's.
func Handler(cfg Config) http.Handler {
	conf, _ := json.Marshal(cfg) // strings only: it cannot fail
	files := http.FileServerFS(Files)
	connect := []string{"'self'"}
	for _, raw := range []string{cfg.AgentURL, cfg.APIURL} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			connect = append(connect, u.Scheme+"://"+u.Host)
		}
	}
	csp := "default-src 'self'; connect-src " + strings.Join(connect, " ") +
		"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/config.json" {
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.Write(conf)
			return
		}
		files.ServeHTTP(w, r)
	})
}
