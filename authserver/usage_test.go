package authserver_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/usage/usagetest"
)

// otherAPI is a second API, for tokens with two audiences.
const otherAPI = "https://other.example.com"

// usageServer is a test server reporting usage to the returned log, with
// a second API and a client whose tokens are for both.
func usageServer(t *testing.T) (*authservertest.Server, *usagetest.Recorder, store.Client, string) {
	log := &usagetest.Recorder{}
	secret, hash := authserver.NewSecret()
	both := store.Client{ID: "both", SecretHash: hash, AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"client_credentials"},
		Scopes: []string{"list:users", "read:other"}, DefaultAudience: store.AudienceAll}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Usage = log
		c.APIs = append(c.APIs, authserver.API{Identifier: otherAPI, Scopes: []string{"read:other"}})
		c.Clients = append(c.Clients, both)
	})
	return as, log, both, secret
}

// TestUsageTokenIssued checks the events of issued tokens: one per API the
// token is for, with the client, subject, grant type and jti, and none for
// a refused request.
func TestUsageTokenIssued(t *testing.T) {
	as, log, both, bothSecret := usageServer(t)
	cc := url.Values{"grant_type": {"client_credentials"}}
	if status, body := postForm(t, as.URL+"/token", cc, basic(as.ClientID, as.ClientSecret)); status != 200 {
		t.Fatalf("token: %d %v", status, body)
	}
	got := log.Take()
	if len(got) != 1 {
		t.Fatalf("events %+v, want one", got)
	}
	if e := got[0]; e.Kind != usage.TokenIssued || e.ClientID != as.ClientID || e.Subject != as.ClientID || e.Audience != authservertest.API ||
		e.GrantType != "client_credentials" || e.TokenID == "" || e.Address != "127.0.0.1" || e.UserAgent == "" || e.Time.IsZero() {
		t.Fatalf("event %+v", e)
	}
	if status, _ := postForm(t, as.URL+"/token", cc, basic(both.ID, bothSecret)); status != 200 {
		t.Fatal(status)
	}
	got = log.Take()
	var auds []string
	for _, e := range got {
		auds = append(auds, e.Audience)
	}
	slices.Sort(auds)
	if len(got) != 2 || got[0].TokenID != got[1].TokenID || !slices.Equal(auds, []string{authservertest.API, otherAPI}) ||
		got[0].SameToken || !got[1].SameToken {
		t.Fatalf("a token for two APIs: %+v, want one event for each, the second marked SameToken", got)
	}
	if status, _ := postForm(t, as.URL+"/token", cc, basic(as.ClientID, "wrong")); status != 401 {
		t.Fatal(status)
	}
	if got := log.Take(); len(got) != 0 {
		t.Fatalf("a refused request reported %+v", got)
	}
}

// TestUsageUserGrants reports the code exchange and the refresh with the
// user as subject.
func TestUsageUserGrants(t *testing.T) {
	as, log, _, _ := usageServer(t)
	_, _, tok := signedIn(t, as, "openid", "offline_access", "read:users")
	if status, body := refreshed(t, as, tok.RefreshToken, nil); status != 200 {
		t.Fatalf("refresh: %d %v", status, body)
	}
	got := log.Take()
	if len(got) != 2 || got[0].GrantType != "authorization_code" || got[1].GrantType != "refresh_token" ||
		got[0].ClientID != as.WebClientID || got[0].Subject == "" || got[0].Subject == as.WebClientID || got[1].Audience != authservertest.API {
		t.Fatalf("events %+v, want the code exchange and the refresh for the user", got)
	}
}

// TestUsageIntrospected checks the event of each introspection answer.
func TestUsageIntrospected(t *testing.T) {
	as, log, both, bothSecret := usageServer(t)
	own := as.Token(t, "list:users")
	_, _, user := signedIn(t, as, "openid", "offline_access", "read:users")
	log.Take()
	tests := []struct {
		name     string
		client   header
		token    string
		outcome  string
		audience string
	}{
		{"own token", basic(as.ClientID, as.ClientSecret), own, usage.Active, authservertest.API},
		{"not a token", basic(as.ClientID, as.ClientSecret), "garbage", usage.Inactive, ""},
		{"another client's token", basic(both.ID, bothSecret), own, usage.Inactive, ""},
		{"a refresh token, for no API", basic(as.WebClientID, as.WebClientSecret), user.RefreshToken, usage.Active, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {tt.token}}, tt.client); status != 200 {
				t.Fatalf("introspect: %d %v", status, body)
			}
			got := log.Take()
			if len(got) != 1 || got[0].Kind != usage.Introspected || got[0].Outcome != tt.outcome || got[0].Audience != tt.audience || got[0].ClientID == "" {
				t.Fatalf("events %+v, want one %s for %q", got, tt.outcome, tt.audience)
			}
		})
	}
	// A refused introspection request is no answer.
	postForm(t, as.URL+"/introspect", url.Values{"token": {own}}, basic(as.ClientID, "wrong"))
	if got := log.Take(); len(got) != 0 {
		t.Fatalf("a refused request reported %+v", got)
	}
}
