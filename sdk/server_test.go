package sdk_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/admin/registration"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// server is Portcullis with its management API, as serve runs it: the
// authorization server of authservertest (its clients, API and demo user)
// plus an admin client defined in the configuration file, and the admin
// handler mounted at the issuer, guarded by the server's own tokens.
type server struct {
	*authservertest.Server
	// AdminID and AdminSecret are the configuration file's admin client,
	// which holds every admin scope.
	AdminID, AdminSecret string
	// Config is the parsed configuration file, the validation rules.
	Config *config.Config
	// InitialToken is a one-time initial access token of dynamic client
	// registration (RFC 7591), open at /register.
	InitialToken string
}

// startServer starts a server and stops it when the test ends.
func startServer(t testing.TB) *server {
	t.Helper()
	s := &server{AdminID: "admin"}
	s.AdminSecret, _ = authserver.NewSecret()
	s.InitialToken, _ = authserver.NewSecret()
	var cfgErr error
	s.Server = authservertest.New(t, func(c *authserver.Config) {
		s.Config, cfgErr = config.Parse([]byte(configYAML(c.Issuer, s.AdminID, s.AdminSecret)), t.TempDir(), nil)
		if cfgErr != nil {
			return
		}
		// The file defines authservertest's API again (so that clients
		// created through the API may have its scopes) and the built-in
		// management API.
		file := s.Config.AuthServer()
		c.APIs = file.APIs
		c.Clients = append(c.Clients, file.Clients...)
		c.Registration = true
	})
	if cfgErr != nil {
		t.Fatalf("configuration: %v", cfgErr)
	}
	g, err := guard.New(context.Background(), guard.Options{Issuer: s.URL, Audience: registry.AdminAudience(s.URL)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	// As serve wires it (cmd/portcullis/admin.go), but for the guard
	// reaching the server over loopback instead of in process.
	a, err := admin.New(admin.Config{Issuer: s.URL, Store: s.Store, Rules: s.Config, Guard: g,
		FileClients: s.Server.Config.Clients, FileAPIs: s.Config.APIs, AccessTokenTTL: s.Config.AccessTokenTTL,
		KeyAlgorithms: s.Config.Algorithms(), KeyRetention: s.Config.KeyRetention(),
		Changed: func(ctx context.Context) { s.Instance.ReloadAPIs(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registration.New(registration.Config{Issuer: s.URL, Store: s.Store, Rules: s.Config, Guard: g,
		InitialAccessTokens: []string{s.InitialToken}, Scopes: []string{"read:users"}, AccessTokenTTL: s.Config.AccessTokenTTL,
		Changed: func(ctx context.Context) { s.Instance.ReloadAPIs(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Mount(admin.PathPrefix, a.Handler())
	s.Mount(registration.Path, reg.Handler())
	s.Mount(registration.Path+"/", reg.Handler())
	return s
}

// configYAML is the configuration file of a test server: the admin client,
// with every scope of the built-in management API.
func configYAML(issuer, adminID, adminSecret string) string {
	return fmt.Sprintf(`issuer: %s
storage: sqlite://unused.db
allow_insecure_localhost: true
apis:
  - identifier: %s
    name: Test API
    scopes: [list:users, read:users, write:users]
clients:
  - client_id: %s
    client_secret: %s
    grant_types: [client_credentials]
    scopes: [admin:clients:read, admin:clients:write, admin:apis:read, admin:apis:write, admin:users:read, admin:users:write, admin:grants:read, admin:grants:write, admin:keys:read, admin:keys:write, admin:audit:read, admin:usage:read]
`, issuer, authservertest.API, adminID, adminSecret)
}

// adminHTTP returns an HTTP client whose requests carry the admin
// client's tokens for the management API, with the given scopes (all of
// them when none is given).
func (s *server) adminHTTP(scopes ...string) *http.Client {
	if len(scopes) == 0 {
		scopes = registry.AdminScopes
	}
	cc := clientcredentials.Config{
		ClientID: s.AdminID, ClientSecret: s.AdminSecret, TokenURL: s.URL + "/token", Scopes: scopes,
		EndpointParams: url.Values{"resource": {registry.AdminAudience(s.URL)}},
		AuthStyle:      oauth2.AuthStyleInHeader,
	}
	return cc.Client(context.Background())
}

// sdk returns an SDK client holding the admin client's credentials.
func (s *server) sdk(t testing.TB, scopes ...string) *sdk.Client {
	t.Helper()
	c, err := sdk.New(s.URL, s.adminHTTP(scopes...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
