package sdk_test

import (
	"context"
	"fmt"
	"log"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// A web application registers itself with a one-time initial access token
// an administrator gave it, keeps its registration access token, and
// later changes its name with it (RFC 7591, RFC 7592).
func ExampleRegistrar() {
	srv, stop := startExample()
	defer stop()
	ctx := context.Background()

	r, err := sdk.NewRegistrar(srv.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	reg, err := r.Register(ctx, srv.InitialToken, registry.ClientMetadata{
		ClientName:   "Shop",
		RedirectURIs: []string{"https://shop.example.com/callback"},
		Scope:        "openid email",
	})
	if err != nil {
		log.Fatal(err)
	}
	// The secret and the registration access token are in this answer only.
	fmt.Println(reg.ClientName, reg.GrantTypes, reg.TokenEndpointAuthMethod, "secret shown once:", reg.ClientSecret != "")

	md := reg.ClientMetadata
	md.ClientName = "Shop (EU)"
	if reg, err = r.UpdateRegistration(ctx, reg, md); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reg.ClientName)
	// Output:
	// Shop [authorization_code] client_secret_basic secret shown once: true
	// Shop (EU)
}
