package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestConnectors checks connectors[], password and clients[].connectors:
// every refusal names its key, and valid connectors reach the
// authorization server built, with their rules.
func TestConnectors(t *testing.T) {
	const (
		oidcOK   = "{id: corp, name: Corp, type: oidc, oidc: {issuer: \"https://idp.example.com\", client_id: pc, client_secret: s}}"
		githubOK = "{id: gh, name: GitHub, type: github, github: {client_id: a, client_secret: b}}"
		ldapOK   = "{id: dir, name: Directory, type: ldap, ldap: {url: \"ldap://127.0.0.1:389\", user_search: {base_dn: \"ou=people,dc=example,dc=com\", filter: \"(uid={username})\"}}}"
	)
	tests := []struct {
		name, body string
		// want are the keys of the problems, none for a valid file.
		want []string
		// built is how many connectors reach the authorization server.
		built int
	}{
		{name: "none", body: ""},
		{name: "three kinds", body: "connectors: [" + oidcOK + ", " + githubOK + ", " + ldapOK + "]\n", built: 3},
		{name: "bad id", body: "connectors: [{id: Corp_1, name: C, type: github, github: {client_id: a, client_secret: b}}]\n", want: []string{"connectors[0].id"}},
		{name: "id too long", body: "connectors: [{id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, name: C, type: github, github: {client_id: a, client_secret: b}}]\n", want: []string{"connectors[0].id"}},
		{name: "id twice", body: "connectors: [" + githubOK + ", " + githubOK + "]\n", want: []string{"connectors[1].id"}, built: 2},
		{name: "name missing", body: "connectors: [{id: gh, type: github, github: {client_id: a, client_secret: b}}]\n", want: []string{"connectors[0].name"}, built: 1},
		{name: "unknown type", body: "connectors: [{id: x, name: X, type: saml}]\n", want: []string{"connectors[0].type"}},
		{name: "section missing", body: "connectors: [{id: x, name: X, type: oidc}]\n", want: []string{"connectors[0].oidc"}},
		{name: "another section set", body: "connectors: [{id: x, name: X, type: github, github: {client_id: a, client_secret: b}, ldap: {url: \"ldap://127.0.0.1\"}}]\n", want: []string{"connectors[0].ldap"}},
		{name: "oidc issuer missing", body: "connectors: [{id: x, name: X, type: oidc, oidc: {client_id: a, client_secret: b}}]\n", want: []string{"connectors[0].oidc.issuer"}},
		{name: "oidc http issuer", body: "connectors: [{id: x, name: X, type: oidc, oidc: {issuer: \"http://idp.example.com\", client_id: a, client_secret: b}}]\n", want: []string{"connectors[0].oidc.issuer"}},
		{name: "oidc two credentials", body: "connectors: [{id: x, name: X, type: oidc, oidc: {issuer: \"https://i.example\", client_id: a}}]\n", want: []string{"connectors[0].oidc"}},
		{name: "github secret missing", body: "connectors: [{id: x, name: X, type: github, github: {client_id: a}}]\n", want: []string{"connectors[0].github.client_secret"}},
		{name: "ldap url missing", body: "connectors: [{id: x, name: X, type: ldap, ldap: {}}]\n", want: []string{"connectors[0].ldap.url"}},
		{name: "ldap cleartext off loopback", body: "connectors: [{id: x, name: X, type: ldap, ldap: {url: \"ldap://dir.example.com\", user_search: {base_dn: \"dc=x\", filter: \"(uid={username})\"}}}]\n", want: []string{"connectors[0].ldap.url"}},
		{name: "known role", body: "connectors: [{id: gh, name: G, type: github, github: {client_id: a, client_secret: b, orgs: [example]}, groups: {roles: {admin: [example]}}}]\n", built: 1},
		{name: "unknown role", body: "connectors: [{id: gh, name: G, type: github, github: {client_id: a, client_secret: b, orgs: [example]}, groups: {roles: {root: [example]}}}]\n", want: []string{"connectors[0].groups.roles.root"}, built: 1},
		{name: "github roles without orgs", body: "connectors: [{id: gh, name: G, type: github, github: {client_id: a, client_secret: b}, groups: {roles: {admin: [ops]}}}]\n", want: []string{"connectors[0].github.orgs"}, built: 1},
		{name: "github groups claim without orgs", body: "connectors: [{id: gh, name: G, type: github, github: {client_id: a, client_secret: b}, groups: {claim: true}}]\n", want: []string{"connectors[0].github.orgs"}, built: 1},
		{name: "oidc roles without orgs", body: "connectors: [{id: corp, name: C, type: oidc, oidc: {issuer: \"https://idp.example.com\", client_id: pc, client_secret: s}, groups: {roles: {admin: [ops]}}}]\n", built: 1},
		{name: "client names a connector", body: "connectors: [" + githubOK + "]\nclients: [{client_id: app, token_endpoint_auth_method: none, grant_types: [authorization_code], redirect_uris: [\"https://app.example.com/cb\"], scopes: [openid], connectors: [gh]}]\n", built: 1},
		{name: "client names an unknown connector", body: "connectors: [" + githubOK + "]\nclients: [{client_id: app, token_endpoint_auth_method: none, grant_types: [authorization_code], redirect_uris: [\"https://app.example.com/cb\"], scopes: [openid], connectors: [gh, corp]}]\n", want: []string{"clients[0].connectors[1]"}, built: 1},
		{name: "trust_acr on oidc", body: "connectors: [{id: corp, name: Corp, type: oidc, trust_acr: true, oidc: {issuer: \"https://idp.example.com\", client_id: pc, client_secret: s}}]\n", built: 1},
		{name: "trust_acr on github", body: "connectors: [{id: gh, name: G, type: github, trust_acr: true, github: {client_id: a, client_secret: b}}]\n", want: []string{"connectors[0].trust_acr"}, built: 1},
		{name: "password off with passkeys", body: "password: {enabled: false}\n"},
		{name: "password off with a connector", body: "password: {enabled: false}\nmfa: {allowed: [totp]}\nconnectors: [" + githubOK + "]\n", built: 1},
		{name: "password off alone", body: "password: {enabled: false}\nmfa: {allowed: [totp]}\n", want: []string{"password.enabled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "issuer: https://login.example.com\nstorage: sqlite://x.db\n" + tt.body
			cfg, err := Parse([]byte(doc), "/", env(nil))
			var keys []string
			for _, fe := range FieldErrors(err) {
				keys = append(keys, fe.Field)
			}
			if err != nil && len(keys) == 0 {
				t.Fatalf("refused without a key: %v", err)
			}
			if !slices.Equal(keys, tt.want) {
				t.Fatalf("problems at %v (%v), want %v", keys, err, tt.want)
			}
			if err != nil {
				return
			}
			as := cfg.AuthServer()
			if len(as.Connectors) != tt.built {
				t.Fatalf("%d connectors built, want %d", len(as.Connectors), tt.built)
			}
			for i, k := range as.Connectors {
				if k.ID != cfg.Connectors[i].ID || (k.Redirect == nil) == (k.Password == nil) {
					t.Errorf("connector %d = %+v", i, k)
				}
				if k.TrustACR != cfg.Connectors[i].TrustACR {
					t.Errorf("connector %d: TrustACR %v, file %v", i, k.TrustACR, cfg.Connectors[i].TrustACR)
				}
				if !k.Rules.CreateUsers {
					t.Errorf("connector %d: create_users defaults to false", i)
				}
			}
			if want := cfg.Password.Enabled != nil && !*cfg.Password.Enabled; as.PasswordDisabled != want {
				t.Errorf("PasswordDisabled = %v, want %v", as.PasswordDisabled, want)
			}
		})
	}
}

// TestConnectorWarnings: an LDAP connector without attributes.subject is
// warned about at start, one with it is not.
func TestConnectorWarnings(t *testing.T) {
	const dir = "{id: dir, name: Directory, type: ldap, ldap: {url: \"ldap://127.0.0.1:389\", user_search: {base_dn: \"ou=people,dc=example,dc=com\", filter: \"(uid={username})\"%s}}}"
	for _, tt := range []struct {
		name, attrs string
		want        int
	}{
		{name: "DN subject", attrs: "", want: 1},
		{name: "entryUUID subject", attrs: ", attributes: {subject: entryUUID}", want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := "issuer: https://login.example.com\nstorage: sqlite://x.db\nconnectors: [" + fmt.Sprintf(dir, tt.attrs) + "]\n"
			cfg, err := Parse([]byte(doc), "/", env(nil))
			if err != nil {
				t.Fatal(err)
			}
			w := cfg.ConnectorWarnings()
			if len(w) != tt.want || tt.want > 0 && !strings.Contains(w[0], "connectors[0].ldap.user_search.attributes.subject") {
				t.Fatalf("warnings = %q, want %d naming the key", w, tt.want)
			}
		})
	}
}
