package console

import "github.com/portcullis/portcullis/store"

// appKind is one of the four kinds of application the create form guides:
// what it pre-sets and what it tells the person filling it in.
type appKind struct {
	ID, Label, Summary string
	AuthMethod         string
	GrantTypes         []string
	ApplicationType    string
	// Redirects says whether the kind signs users in, and so needs
	// redirect URIs; RedirectHint is an example of them.
	Redirects    bool
	RedirectHint string
	// ScopeHint is an example of the scopes such an app asks for.
	ScopeHint string
}

// userScopes is the scope hint of the kinds that sign users in.
const userScopes = "openid profile email offline_access read:orders"

// appKinds are the kinds, in the order the form offers them.
var appKinds = []appKind{
	{ID: "web", Label: "Web application", Summary: "A server-side app that keeps a secret and signs users in.",
		AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"authorization_code", "refresh_token"}, ApplicationType: "web",
		Redirects: true, RedirectHint: "https://app.example.com/callback", ScopeHint: userScopes},
	{ID: "spa", Label: "Single-page app", Summary: "A browser app without a secret: PKCE only (prefer the OAuth Agent).",
		AuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code", "refresh_token"}, ApplicationType: "web",
		Redirects: true, RedirectHint: "https://app.example.com/", ScopeHint: userScopes},
	{ID: "native", Label: "Native app", Summary: "A desktop or mobile app: PKCE, loopback or private-use scheme redirects (RFC 8252).",
		AuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code", "refresh_token"}, ApplicationType: "native",
		Redirects: true, RedirectHint: "http://127.0.0.1/callback or com.example.app:/callback", ScopeHint: userScopes},
	{ID: "service", Label: "Service client", Summary: "A program calling APIs as itself, with a secret (client credentials).",
		AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"client_credentials"}, ApplicationType: "web",
		ScopeHint: "read:orders write:orders"},
}

// kindOf is the kind named id, and whether there is one.
func kindOf(id string) (appKind, bool) {
	for _, k := range appKinds {
		if k.ID == id {
			return k, true
		}
	}
	return appKind{}, false
}
