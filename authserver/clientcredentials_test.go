package authserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// fetchJWKS gets the key set the way a relying party does: through discovery.
func fetchJWKS(t *testing.T, issuer string) jose.JSONWebKeySet {
	t.Helper()
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, issuer+"/.well-known/openid-configuration", &meta)
	if meta.Issuer != issuer {
		t.Fatalf("discovery issuer = %q, want %q", meta.Issuer, issuer)
	}
	var set jose.JSONWebKeySet
	getJSON(t, meta.JWKSURI, &set)
	return set
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// verify checks an access token as a resource server would, with go-jose
// and the served JWKS, and returns its claims.
func verify(t *testing.T, issuer, raw string) authserver.AccessTokenClaims {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
	if err != nil {
		t.Fatalf("parse access token: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" {
		t.Fatalf("typ = %v, want at+jwt (RFC 9068 section 2.1)", h.ExtraHeaders["typ"])
	}
	set := fetchJWKS(t, issuer)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", h.KeyID)
	}
	var c authserver.AccessTokenClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return c
}

// TestClientCredentialsInterop gets a token with golang.org/x/oauth2, the
// client most Go services use, and verifies it against the served JWKS.
func TestClientCredentialsInterop(t *testing.T) {
	as := authservertest.New(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleAutoDetect} {
		cc := clientcredentials.Config{
			ClientID: as.ClientID, ClientSecret: as.ClientSecret, TokenURL: as.URL + "/token",
			Scopes: []string{"list:users"}, AuthStyle: style,
		}
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatalf("Token: %v", err)
		}
		if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
			t.Fatalf("token = %+v", tok)
		}
		c := verify(t, as.URL, tok.AccessToken)
		if c.Subject != as.ClientID || c.ClientID != as.ClientID || c.Scope != "list:users" || c.Issuer != as.URL {
			t.Fatalf("claims = %+v", c)
		}
		if !slices.Equal(c.Audience, jwt.Audience{authservertest.API}) || c.ID == "" || c.IssuedAt == nil {
			t.Fatalf("claims = %+v", c)
		}
		if got := c.Expiry.Time().Sub(c.IssuedAt.Time()); got != authserver.DefaultAccessTokenTTL {
			t.Fatalf("lifetime = %v, want the 1h default", got)
		}
	}
}

// TestClientSecretPost uses the other secret method, which its client must
// have registered.
func TestClientSecretPost(t *testing.T) {
	secret, hash := authserver.NewSecret()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{ID: "poster", SecretHash: hash, AuthMethod: store.AuthSecretPost,
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"read:users"}})
	})
	cc := clientcredentials.Config{ClientID: "poster", ClientSecret: secret, TokenURL: as.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := verify(t, as.URL, tok.AccessToken); c.Scope != "read:users" {
		t.Fatalf("scope = %q, want the client's only scope", c.Scope)
	}
	cc.AuthStyle = oauth2.AuthStyleInHeader
	if _, err := cc.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("Basic for a client_secret_post client: got %v, want invalid_client", err)
	}
}

// TestScopesAndAudience covers scope selection and RFC 8707 resources under
// the default audience policy, single (audience_test.go covers all).
func TestScopesAndAudience(t *testing.T) {
	const other = "https://billing.example.com"
	const audit = "https://audit.example.com"
	as := authservertest.New(t, func(c *authserver.Config) {
		c.APIs = append(c.APIs, authserver.API{Identifier: other, Scopes: []string{"read:invoices", "read:users"}},
			authserver.API{Identifier: audit, Scopes: []string{"read:audit"}})
		c.Clients[0].Scopes = append(c.Clients[0].Scopes, "read:invoices")
	})
	tests := []struct {
		name      string
		form      map[string][]string
		wantScope string
		wantAud   []string
		wantErr   string
	}{
		{"no scope gets every allowed scope, of two APIs: resource needed", nil, "", nil, "invalid_target"},
		{"one API's scope", map[string][]string{"scope": {"list:users"}}, "list:users", []string{authservertest.API}, ""},
		{"shared scope of two APIs: resource needed", map[string][]string{"scope": {"read:users"}}, "", nil, "invalid_target"},
		{"resource picks the API", map[string][]string{"scope": {"read:users"}, "resource": {other}}, "read:users", []string{other}, ""},
		{"resource alone narrows scopes", map[string][]string{"resource": {other}}, "read:users read:invoices", []string{other}, ""},
		{"two resources", map[string][]string{"scope": {"list:users read:invoices"}, "resource": {authservertest.API, other}}, "list:users read:invoices", []string{authservertest.API, other}, ""},
		{"duplicate scopes collapse", map[string][]string{"scope": {"list:users  list:users"}}, "list:users", []string{authservertest.API}, ""},
		{"scope not allowed", map[string][]string{"scope": {"admin"}}, "", nil, "invalid_scope"},
		{"scope outside the resource", map[string][]string{"scope": {"list:users"}, "resource": {other}}, "", nil, "invalid_scope"},
		{"unknown resource", map[string][]string{"resource": {"https://nope.example"}}, "", nil, "invalid_target"},
		{"resource the client has no scope at", map[string][]string{"resource": {audit}}, "", nil, "invalid_target"},
		{"resource among others the client has no scope at", map[string][]string{"resource": {authservertest.API, audit}}, "", nil, "invalid_target"},
		{"resource no requested scope is at", map[string][]string{"scope": {"list:users"}, "resource": {authservertest.API, other}}, "", nil, "invalid_target"},
		{"scope with a quote", map[string][]string{"scope": {`list"users`}}, "", nil, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := map[string][]string{"grant_type": {"client_credentials"}}
			for k, v := range tt.form {
				form[k] = v
			}
			status, body := postForm(t, as.URL+"/token", form, basic(as.ClientID, as.ClientSecret))
			if tt.wantErr != "" {
				if status != http.StatusBadRequest || body["error"] != tt.wantErr {
					t.Fatalf("got %d %v, want 400 %s", status, body, tt.wantErr)
				}
				return
			}
			if status != http.StatusOK {
				t.Fatalf("got %d %v", status, body)
			}
			if body["scope"] != tt.wantScope {
				t.Fatalf("response scope = %v, want %q", body["scope"], tt.wantScope)
			}
			c := verify(t, as.URL, body["access_token"].(string))
			if c.Scope != tt.wantScope || !slices.Equal([]string(c.Audience), tt.wantAud) {
				t.Fatalf("token scope %q aud %v, want %q %v", c.Scope, c.Audience, tt.wantScope, tt.wantAud)
			}
		})
	}
}
