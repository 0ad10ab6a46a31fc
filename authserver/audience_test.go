package authserver_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// billingAPI is a second API for the audience tests, so that a client's
// scopes can span two.
const billingAPI = "https://billing.example.com"

// audienceServer is a test server with two APIs and, for the client
// credentials grant, one client per default audience policy: "cc" follows
// the deployment's, "cc-single" and "cc-all" override it. For the code
// grant, the web client follows the deployment's and "web-all" overrides
// it with all. Every client may have scopes of both APIs.
func audienceServer(t *testing.T, deployment string) (as *authservertest.Server, secrets map[string]string) {
	t.Helper()
	secrets = map[string]string{}
	return authservertest.New(t, func(c *authserver.Config) {
		c.DefaultAudience = deployment
		c.APIs = append(c.APIs, authserver.API{Identifier: billingAPI, Scopes: []string{"read:invoices"}})
		for id, policy := range map[string]string{"cc": "", "cc-single": store.AudienceSingle, "cc-all": store.AudienceAll} {
			secret, hash := authserver.NewSecret()
			secrets[id] = secret
			c.Clients = append(c.Clients, store.Client{ID: id, SecretHash: hash, AuthMethod: store.AuthSecretBasic,
				GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users", "read:invoices"}, DefaultAudience: policy})
		}
		web := &c.Clients[1]
		web.Scopes = append(web.Scopes, "read:invoices")
		secret, hash := authserver.NewSecret()
		secrets["web-all"] = secret
		webAll := *web
		webAll.ID, webAll.SecretHash, webAll.DefaultAudience = "web-all", hash, store.AudienceAll
		c.Clients = append(c.Clients, webAll)
	}), secrets
}

// TestDefaultAudienceClientCredentials: under single, a token whose scopes
// span two APIs needs resource; under all it is for both; a client's
// policy overrides the deployment's either way.
func TestDefaultAudienceClientCredentials(t *testing.T) {
	both := []string{authservertest.API, billingAPI}
	servers := map[string]*authservertest.Server{}
	secrets := map[string]map[string]string{}
	for _, d := range []string{"", store.AudienceAll} {
		servers[d], secrets[d] = audienceServer(t, d)
	}
	tests := []struct {
		name       string
		deployment string
		client     string
		form       url.Values
		wantAud    []string
		wantErr    string   // the error code; empty for success
		wantInDesc []string // words the error_description must hold
	}{
		{"single: scopes of two APIs refused, naming them", "", "cc", url.Values{"scope": {"list:users read:invoices"}}, nil,
			"invalid_target", []string{authservertest.API, billingAPI, "resource"}},
		{"single: no scope, allowed scopes of two APIs refused", "", "cc", nil, nil,
			"invalid_target", []string{authservertest.API, billingAPI, "no scope was requested", "pass resource"}},
		{"single: one API's scope", "", "cc", url.Values{"scope": {"list:users"}}, []string{authservertest.API}, "", nil},
		{"single: resource chooses the API", "", "cc", url.Values{"resource": {billingAPI}}, []string{billingAPI}, "", nil},
		{"single: two resources named", "", "cc", url.Values{"resource": {authservertest.API, billingAPI}}, both, "", nil},
		{"all: scopes of two APIs", store.AudienceAll, "cc", url.Values{"scope": {"list:users read:invoices"}}, both, "", nil},
		{"all: no scope", store.AudienceAll, "cc", nil, both, "", nil},
		{"all: resource still narrows", store.AudienceAll, "cc", url.Values{"resource": {billingAPI}}, []string{billingAPI}, "", nil},
		{"client all overrides deployment single", "", "cc-all", nil, both, "", nil},
		{"client single overrides deployment all", store.AudienceAll, "cc-single", nil, nil, "invalid_target", []string{billingAPI}},
		{"client single as the deployment", "", "cc-single", url.Values{"scope": {"list:users read:invoices"}}, nil, "invalid_target", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := servers[tt.deployment]
			form := url.Values{"grant_type": {"client_credentials"}}
			for k, v := range tt.form {
				form[k] = v
			}
			status, body := postForm(t, as.URL+"/token", form, basic(tt.client, secrets[tt.deployment][tt.client]))
			if tt.wantErr != "" {
				desc, _ := body["error_description"].(string)
				if status != 400 || body["error"] != tt.wantErr {
					t.Fatalf("got %d %v, want 400 %s", status, body, tt.wantErr)
				}
				for _, w := range tt.wantInDesc {
					if !strings.Contains(desc, w) {
						t.Fatalf("error_description %q does not mention %q", desc, w)
					}
				}
				return
			}
			if status != 200 {
				t.Fatalf("got %d %v", status, body)
			}
			if c := verify(t, as.URL, body["access_token"].(string)); !slices.Equal([]string(c.Audience), tt.wantAud) {
				t.Fatalf("aud %v, want %v", c.Audience, tt.wantAud)
			}
		})
	}
}

// TestDefaultAudienceUserGrants: /authorize accepts scopes of several APIs;
// the code exchange and refresh decide, with the client's policy, and a
// refused exchange leaves the code usable with resource.
func TestDefaultAudienceUserGrants(t *testing.T) {
	as, secrets := audienceServer(t, "")
	b := newBrowser(t, as)
	both := []string{authservertest.API, billingAPI}
	tests := []struct {
		name          string
		client        string
		scopes        []string
		authResources []string // at /authorize
		tokenResource []string // at the code exchange and the refresh
		wantAud       []string // nil: refused with invalid_target
	}{
		{"scopes of two APIs without resource refused", as.WebClientID, []string{"openid", "offline_access", "read:users", "read:invoices"}, nil, nil, nil},
		{"resource at the token endpoint chooses", as.WebClientID, []string{"openid", "offline_access", "read:users", "read:invoices"}, nil, []string{billingAPI}, []string{billingAPI}},
		{"OpenID Connect scopes belong to no API", as.WebClientID, []string{"openid", "profile", "offline_access", "read:users"}, nil, nil, []string{authservertest.API}},
		{"two resources at /authorize, none at the token endpoint, refused", as.WebClientID, []string{"offline_access", "read:users", "read:invoices"}, both, nil, nil},
		{"one resource at /authorize", as.WebClientID, []string{"offline_access", "read:users", "read:invoices"}, []string{billingAPI}, nil, []string{billingAPI}},
		{"client all: a token for both", "web-all", []string{"openid", "offline_access", "read:users", "read:invoices"}, nil, nil, both},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := as.WebClientSecret
			if tt.client != as.WebClientID {
				secret = secrets[tt.client]
			}
			auth := basic(tt.client, secret)
			f := newFlow(as, tt.client, secret, tt.scopes...)
			u := f.authURL()
			for _, res := range tt.authResources {
				u += "&resource=" + url.QueryEscape(res)
			}
			p := b.get(u)
			if p.status == 200 {
				p = b.login(p, as.Username, as.Password)
			}
			form := exchangeForm(f, f.code(t, as, p.location(t)))
			if tt.tokenResource != nil {
				form["resource"] = tt.tokenResource
			}
			status, tok := postForm(t, as.URL+"/token", form, auth)
			if tt.wantAud == nil {
				if status != 400 || tok["error"] != "invalid_target" || !strings.Contains(tok["error_description"].(string), billingAPI) {
					t.Fatalf("exchange: got %d %v, want invalid_target naming the APIs", status, tok)
				}
				// The refusal did not use the code up: the client retries
				// with resource.
				form["resource"] = []string{authservertest.API}
				if status, tok = postForm(t, as.URL+"/token", form, auth); status != 200 {
					t.Fatalf("exchange retried with resource: %d %v", status, tok)
				}
				status, next := postForm(t, as.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, auth)
				if status != 400 || next["error"] != "invalid_target" {
					t.Fatalf("refresh without resource: got %d %v, want invalid_target", status, next)
				}
				return
			}
			if status != 200 {
				t.Fatalf("exchange: %d %v", status, tok)
			}
			if c := verify(t, as.URL, tok["access_token"].(string)); !slices.Equal([]string(c.Audience), tt.wantAud) {
				t.Fatalf("aud %v, want %v", c.Audience, tt.wantAud)
			}
			rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}
			if tt.tokenResource != nil {
				rf["resource"] = tt.tokenResource
			}
			status, next := postForm(t, as.URL+"/token", rf, auth)
			if status != 200 {
				t.Fatalf("refresh: %d %v", status, next)
			}
			if c := verify(t, as.URL, next["access_token"].(string)); !slices.Equal([]string(c.Audience), tt.wantAud) {
				t.Fatalf("refreshed aud %v, want %v", c.Audience, tt.wantAud)
			}
		})
	}
}
