package authserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/connectors/github"
	"github.com/portcullis/portcullis/connectors/github/githubtest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// withGitHub adds the connector "gh", to the fake GitHub gh, with rules,
// to a federation's down server; cfg changes the connector's settings.
func withGitHub(t *testing.T, gh *githubtest.Server, rules users.FederationRules, cfg func(*github.Config)) func(*authserver.Config) {
	c := github.Config{ClientID: githubtest.ClientID, ClientSecret: githubtest.ClientSecret, BaseURL: gh.URL, APIURL: gh.APIURL()}
	if cfg != nil {
		cfg(&c)
	}
	conn, err := github.New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *authserver.Config) {
		c.Connectors = append(c.Connectors, authserver.Connector{ID: "gh", Name: "GitHub", Redirect: conn, Rules: rules})
	}
}

// TestGitHubSignIn: through the login page's "Continue with GitHub" to
// the fake GitHub and back: a new user (never GitHub's numeric ID as sub)
// with octocat's verified primary email and amr fed.
func TestGitHubSignIn(t *testing.T) {
	gh := githubtest.New(t)
	f := newFederation(t, users.FederationRules{}, withGitHub(t, gh, users.FederationRules{CreateUsers: true}, nil))
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid", "email", "profile")
	p := b.continueWith(b.get(fl.authURL()), "gh")
	claims := idClaims(t, f.down, fl, p)
	if sub, _ := claims["sub"].(string); sub == "" || sub == "583231" {
		t.Errorf("sub %q: want a Portcullis subject", sub)
	}
	if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "fed" {
		t.Errorf("amr = %v, want [fed]", claims["amr"])
	}
	if claims["email"] != "octocat@github.example" || claims["email_verified"] != true || claims["preferred_username"] != "octocat" {
		t.Errorf("claims = %v, want octocat's", claims)
	}
	if l, err := f.down.Store.GetLink(context.Background(), "gh", "583231"); err != nil || l.UserID != claims["sub"] {
		t.Errorf("link = %+v, %v", l, err)
	}
}

// TestGitHubLinkByEmail: with link_by_email on, a GitHub user whose email
// GitHub has verified joins the existing user with that email; one whose
// only email is unverified must not (anyone can add an address to a
// GitHub account): a new user is created instead.
func TestGitHubLinkByEmail(t *testing.T) {
	for _, tt := range []struct {
		name     string
		verified bool
	}{
		{"verified: linked", true},
		{"unverified: not linked", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.Emails = []map[string]any{{"email": "Victim@Example.com", "primary": true, "verified": tt.verified}}
			rules := users.FederationRules{CreateUsers: true, LinkByEmail: true}
			f := newFederation(t, users.FederationRules{}, withGitHub(t, gh, rules, nil))
			victim := store.User{ID: "victim-id", Username: "victim", CreatedAt: time.Now(),
				Claims: map[string]any{"email": "victim@example.com", "email_verified": true}}
			if err := f.down.Store.CreateUser(context.Background(), victim); err != nil {
				t.Fatal(err)
			}
			b := fedBrowser(t, f.down)
			fl := webFlow(f.down, "openid", "email")
			claims := idClaims(t, f.down, fl, b.continueWith(b.get(fl.authURL()), "gh"))
			if linked := claims["sub"] == victim.ID; linked != tt.verified {
				t.Fatalf("sub %v: linked to the existing user %v, want %v", claims["sub"], linked, tt.verified)
			}
		})
	}
}

// TestGitHubOrgRefused: a GitHub user outside the allowed organisations
// gets the 400 page and no account.
func TestGitHubOrgRefused(t *testing.T) {
	gh := githubtest.New(t)
	f := newFederation(t, users.FederationRules{}, withGitHub(t, gh, users.FederationRules{CreateUsers: true},
		func(c *github.Config) { c.Orgs = []string{"other-org"} }))
	b := fedBrowser(t, f.down)
	p := b.continueWith(b.get(webFlow(f.down, "openid").authURL()), "gh")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "GitHub") {
		t.Fatalf("got %d: %s", p.status, p.body)
	}
	if _, err := f.down.Store.GetLink(context.Background(), "gh", "583231"); err == nil {
		t.Fatal("a link was made")
	}
}
