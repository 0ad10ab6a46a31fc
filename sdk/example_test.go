package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// A provisioning job registers an API and a service client for it. The
// job holds an admin client's credentials (`portcullis dev` prints some);
// golang.org/x/oauth2/clientcredentials gets and renews its tokens for the
// management API. The test server here is Portcullis itself, run in this
// process.
func Example() {
	srv, stop := startExample()
	defer stop()
	issuer := srv.URL

	cc := clientcredentials.Config{
		ClientID:       srv.AdminID,
		ClientSecret:   srv.AdminSecret,
		TokenURL:       issuer + "/token",
		Scopes:         []string{registry.ScopeAPIsWrite, registry.ScopeClientsWrite},
		EndpointParams: url.Values{"resource": {registry.AdminAudience(issuer)}},
	}
	ctx := context.Background()
	c, err := sdk.New(issuer, cc.Client(ctx))
	if err != nil {
		log.Fatal(err)
	}

	api, err := c.APIs.Create(ctx, registry.API{
		Identifier: "https://inventory.example.com",
		Name:       "Inventory",
		Scopes:     []registry.Scope{{Name: "read:inventory", Description: "Read the inventory"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("API", api.Value.Identifier, "from the", api.Value.Source)

	// The scope is grantable at once, on every instance.
	cl, err := c.Clients.Create(ctx, registry.Client{
		ClientID:   "stock-service",
		GrantTypes: []string{"client_credentials"},
		Scopes:     []string{"read:inventory"},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The generated secret is in this answer only.
	fmt.Println("client", cl.Value.ClientID, cl.Value.TokenEndpointAuthMethod, "secret shown once:", cl.Value.ClientSecret != "")
	// Output:
	// API https://inventory.example.com from the store
	// client stock-service client_secret_basic secret shown once: true
}

// List follows next_cursor page by page as the loop goes on.
func ExampleClientsService_List() {
	srv, stop := startExample()
	defer stop()
	ctx := context.Background()
	c, err := sdk.New(srv.URL, srv.adminHTTP(registry.ScopeClientsRead))
	if err != nil {
		log.Fatal(err)
	}
	for cl, err := range c.Clients.List(ctx, sdk.ListOptions{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cl.ClientID, cl.Source)
	}
	// Output:
	// admin config
	// spa config
	// test-client config
	// web-app config
}

// An update made with the ETag of a read fails with 412 when someone
// changed the resource in between, instead of undoing their change.
func ExampleIsPreconditionFailed() {
	srv, stop := startExample()
	defer stop()
	ctx := context.Background()
	c, err := sdk.New(srv.URL, srv.adminHTTP(registry.ScopeUsersRead, registry.ScopeUsersWrite))
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.Users.Create(ctx, registry.User{Username: "ada"})
	if err != nil {
		log.Fatal(err)
	}
	read, err := c.Users.Get(ctx, u.Value.ID)
	if err != nil {
		log.Fatal(err)
	}
	// Someone else changes the user meanwhile.
	if _, err := c.Users.Update(ctx, u.Value.ID, sdk.Patch{"claims": map[string]any{"name": "Ada"}}, ""); err != nil {
		log.Fatal(err)
	}
	_, err = c.Users.Update(ctx, u.Value.ID, sdk.Patch{"claims": map[string]any{"name": "Ada L."}}, read.ETag)
	fmt.Println("stale:", sdk.IsPreconditionFailed(err))
	// Output: stale: true
}

// Validation problems name the field, as the YAML file spells it.
func ExampleError() {
	srv, stop := startExample()
	defer stop()
	ctx := context.Background()
	c, err := sdk.New(srv.URL, srv.adminHTTP(registry.ScopeClientsWrite))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Clients.Create(ctx, registry.Client{
		ClientID:                "my-spa",
		TokenEndpointAuthMethod: "none",
		GrantTypes:              []string{"authorization_code"},
		RedirectURIs:            []string{"http://app.example.com/callback"},
	})
	var e *sdk.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Problem.Detail)
		for _, f := range e.Problem.Errors {
			fmt.Println(f.Field+":", f.Detail)
		}
	}
	// Output:
	// 400 the request has invalid values; see errors
	// redirect_uris[0]: must use https (http only on a loopback host; native apps may use a reverse-domain scheme)
}
