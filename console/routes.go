package console

import (
	"net/http"

	"github.com/portcullis/portcullis/registry"
)

// routes maps the console's paths to their handlers. Every change is a
// POST that needs the management API scope it uses. The handler sees
// paths under Path, as the authorization server sees its endpoints at the
// root whatever the issuer's path (a proxy in front strips it); pages
// link under c.base, the path browsers see.
func (c *Console) routes() {
	m, b := http.NewServeMux(), Path
	m.HandleFunc("GET "+b+"login", c.handleLogin)
	m.HandleFunc("GET "+b+"callback", c.handleCallback)
	m.HandleFunc("GET "+b+"console.css", c.handleCSS)
	m.Handle("POST "+b+"logout", c.session(c.handleLogout))
	m.HandleFunc("GET "+b+"signed-out", c.handleSignedOut)

	m.Handle("GET "+b+"{$}", c.signedIn("", c.overview))

	m.Handle("GET "+b+"apps", c.signedIn("", c.appList))
	m.Handle("GET "+b+"apps/new", c.signedIn(registry.ScopeClientsWrite, c.appNew))
	m.Handle("POST "+b+"apps", c.signedIn(registry.ScopeClientsWrite, c.appCreate))
	m.Handle("GET "+b+"apps/{id}", c.signedIn("", c.appShow))
	m.Handle("POST "+b+"apps/{id}/secret", c.signedIn(registry.ScopeClientsWrite, c.appRotate))
	m.Handle("GET "+b+"apps/{id}/delete", c.signedIn(registry.ScopeClientsWrite, c.appConfirmDelete))
	m.Handle("POST "+b+"apps/{id}/delete", c.signedIn(registry.ScopeClientsWrite, c.appDelete))

	// An API's identifier is a URL: it travels in the query, not the path.
	m.Handle("GET "+b+"apis", c.signedIn("", c.apiList))
	m.Handle("GET "+b+"apis/new", c.signedIn(registry.ScopeAPIsWrite, c.apiNew))
	m.Handle("POST "+b+"apis", c.signedIn(registry.ScopeAPIsWrite, c.apiCreate))
	m.Handle("GET "+b+"api", c.signedIn("", c.apiShow))
	m.Handle("POST "+b+"api/scopes", c.signedIn(registry.ScopeAPIsWrite, c.apiScopes))
	m.Handle("GET "+b+"api/delete", c.signedIn(registry.ScopeAPIsWrite, c.apiConfirmDelete))
	m.Handle("POST "+b+"api/delete", c.signedIn(registry.ScopeAPIsWrite, c.apiDelete))

	m.Handle("GET "+b+"users", c.signedIn("", c.userList))
	m.Handle("POST "+b+"users", c.signedIn(registry.ScopeUsersWrite, c.userCreate))
	m.Handle("GET "+b+"users/{id}", c.signedIn("", c.userShow))
	m.Handle("POST "+b+"users/{id}/password", c.signedIn(registry.ScopeUsersWrite, c.userPassword))
	m.Handle("POST "+b+"users/{id}/disabled", c.signedIn(registry.ScopeUsersWrite, c.userDisabled))
	m.Handle("POST "+b+"users/{id}/sessions/{sid}/end", c.signedIn(registry.ScopeUsersWrite, c.sessionEnd))
	m.Handle("POST "+b+"grants/{id}/revoke", c.signedIn(registry.ScopeGrantsWrite, c.grantRevoke))

	m.Handle("GET "+b+"keys", c.signedIn("", c.keyList))
	m.Handle("POST "+b+"keys/rotate", c.signedIn(registry.ScopeKeysWrite, c.keyRotate))

	m.Handle("GET "+b+"audit", c.signedIn("", c.auditLog))
	c.mux = m
}

// handleCSS serves the style sheet, in the theme's colours.
func (c *Console) handleCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(c.css)
}
