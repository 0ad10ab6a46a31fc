package authserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// TestBadRequests sends malformed and unauthorized requests to every
// endpoint and checks the exact status and RFC 6749 section 5.2 error code.
// None may answer 5xx.
func TestBadRequests(t *testing.T) {
	noGrantSecret, noGrantHash := authserver.NewSecret()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients,
			store.Client{ID: "public", AuthMethod: store.AuthNone, GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}},
			store.Client{ID: "no-grant", SecretHash: noGrantHash, AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"authorization_code"}},
		)
	})
	good := basic(as.ClientID, as.ClientSecret)
	form := "application/x-www-form-urlencoded"
	huge := "grant_type=client_credentials&scope=" + strings.Repeat("a", 70<<10)
	tests := []struct {
		name        string
		path        string
		method      string
		contentType string
		body        string
		headers     []header
		wantStatus  int
		wantError   string
		wantBasic   bool
	}{
		// Token endpoint.
		{"token: GET", "/token", "GET", "", "", nil, 405, "invalid_request", false},
		{"token: JSON body", "/token", "POST", "application/json", `{"grant_type":"client_credentials"}`, []header{good}, 400, "invalid_request", false},
		{"token: no content type", "/token", "POST", "", "grant_type=client_credentials", []header{good}, 400, "invalid_request", false},
		{"token: body too large", "/token", "POST", form, huge, []header{good}, 413, "invalid_request", false},
		{"token: parameters in query", "/token?grant_type=client_credentials", "POST", form, "", []header{good}, 400, "invalid_request", false},
		{"token: repeated grant_type", "/token", "POST", form, "grant_type=client_credentials&grant_type=client_credentials", []header{good}, 400, "invalid_request", false},
		{"token: invalid UTF-8", "/token", "POST", form, "grant_type=client_credentials&scope=%ff%fe", []header{good}, 400, "invalid_request", false},
		{"token: bad percent encoding", "/token", "POST", form, "grant_type=%zz", []header{good}, 400, "invalid_request", false},
		{"token: missing grant_type", "/token", "POST", form, "scope=list:users", []header{good}, 400, "invalid_request", false},
		{"token: unknown grant_type", "/token", "POST", form, "grant_type=password&username=a&password=b", []header{good}, 400, "unsupported_grant_type", false},
		{"token: implicit is not a grant", "/token", "POST", form, "grant_type=implicit", []header{good}, 400, "unsupported_grant_type", false},
		{"token: no client authentication", "/token", "POST", form, "grant_type=client_credentials", nil, 401, "invalid_client", true},
		{"token: wrong secret", "/token", "POST", form, "grant_type=client_credentials", []header{basic(as.ClientID, "wrong")}, 401, "invalid_client", true},
		{"token: unknown client", "/token", "POST", form, "grant_type=client_credentials", []header{basic("nobody", "x")}, 401, "invalid_client", true},
		{"token: malformed Basic", "/token", "POST", form, "grant_type=client_credentials", []header{{"Authorization", "Basic !!!"}}, 401, "invalid_client", true},
		{"token: Bearer instead of Basic", "/token", "POST", form, "grant_type=client_credentials", []header{{"Authorization", "Bearer x"}}, 401, "invalid_client", true},
		{"token: two auth methods", "/token", "POST", form, "grant_type=client_credentials&client_id=test-client&client_secret=x", []header{good}, 400, "invalid_request", false},
		{"token: client_id differs from Basic", "/token", "POST", form, "grant_type=client_credentials&client_id=other", []header{good}, 400, "invalid_request", false},
		{"token: secret post for a Basic client", "/token", "POST", form, "grant_type=client_credentials&client_id=test-client&client_secret=" + as.ClientSecret, nil, 401, "invalid_client", false},
		{"token: client_secret without client_id", "/token", "POST", form, "grant_type=client_credentials&client_secret=x", nil, 400, "invalid_request", false},
		{"token: confidential client without secret", "/token", "POST", form, "grant_type=client_credentials&client_id=test-client", nil, 401, "invalid_client", false},
		{"token: public client, client credentials", "/token", "POST", form, "grant_type=client_credentials&client_id=public", nil, 400, "unauthorized_client", false},
		{"token: grant not registered", "/token", "POST", form, "grant_type=client_credentials", []header{basic("no-grant", noGrantSecret)}, 400, "unauthorized_client", false},
		{"token: bad assertion type", "/token", "POST", form, "grant_type=client_credentials&client_assertion=x&client_assertion_type=foo", nil, 400, "invalid_request", false},
		{"token: assertion not a JWT", "/token", "POST", form, "grant_type=client_credentials&client_assertion=x&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer", nil, 401, "invalid_client", false},
		{"token: unknown scope", "/token", "POST", form, "grant_type=client_credentials&scope=admin", []header{good}, 400, "invalid_scope", false},
		{"token: unknown resource", "/token", "POST", form, "grant_type=client_credentials&resource=https://x.example", []header{good}, 400, "invalid_target", false},

		// Introspection.
		{"introspect: GET", "/introspect", "GET", "", "", nil, 405, "invalid_request", false},
		{"introspect: no client", "/introspect", "POST", form, "token=x", nil, 401, "invalid_client", true},
		{"introspect: public client", "/introspect", "POST", form, "token=x&client_id=public", nil, 401, "invalid_client", false},
		{"introspect: missing token", "/introspect", "POST", form, "", []header{good}, 400, "invalid_request", false},
		{"introspect: repeated token", "/introspect", "POST", form, "token=a&token=b", []header{good}, 400, "invalid_request", false},
		{"introspect: wrong content type", "/introspect", "POST", "text/plain", "token=a", []header{good}, 400, "invalid_request", false},

		// Revocation.
		{"revoke: GET", "/revoke", "GET", "", "", nil, 405, "invalid_request", false},
		{"revoke: no client", "/revoke", "POST", form, "token=x", nil, 401, "invalid_client", true},
		{"revoke: missing token", "/revoke", "POST", form, "token_type_hint=access_token", []header{good}, 400, "invalid_request", false},
		{"revoke: body too large", "/revoke", "POST", form, "token=" + strings.Repeat("a", 70<<10), []header{good}, 413, "invalid_request", false},

		// Read-only endpoints.
		{"revocations: bad cursor", "/revocations?after=-1", "GET", "", "", nil, 400, "invalid_request", false},
		{"revocations: text cursor", "/revocations?after=abc", "GET", "", "", nil, 400, "invalid_request", false},
		{"revocations: repeated cursor", "/revocations?after=1&after=2", "GET", "", "", nil, 400, "invalid_request", false},
		{"revocations: bad cutoff cursor", "/revocations?cutoffs_after=-1", "GET", "", "", nil, 400, "invalid_request", false},
		{"revocations: repeated cutoff cursor", "/revocations?cutoffs_after=1&cutoffs_after=2", "GET", "", "", nil, 400, "invalid_request", false},
		{"revocations: POST", "/revocations", "POST", form, "", nil, 405, "invalid_request", false},
		{"jwks: POST", "/jwks", "POST", form, "", nil, 405, "invalid_request", false},
		{"discovery: DELETE", "/.well-known/openid-configuration", "DELETE", "", "", nil, 405, "invalid_request", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, as.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			for _, h := range tt.headers {
				req.Header.Set(h.key, h.value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := decode(t, resp)
			if resp.StatusCode != tt.wantStatus || body["error"] != tt.wantError {
				t.Fatalf("got %d %v, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantError)
			}
			if d, _ := body["error_description"].(string); d == "" {
				t.Fatal("no error_description")
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control = %q", cc)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			if got := resp.Header.Get("WWW-Authenticate") != ""; got != tt.wantBasic {
				t.Fatalf("WWW-Authenticate present = %v, want %v", got, tt.wantBasic)
			}
			if strings.Contains(body["error_description"].(string), as.ClientSecret) {
				t.Fatal("error description echoes the client secret")
			}
		})
	}
}
