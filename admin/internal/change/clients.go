package change

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// ValidClient validates cl by the rules of the file, generating its
// secret when its auth method needs one and none is given, and returns it
// as the store keeps it with the secret in the clear. A *rest.Error says
// what is wrong with it.
func (c *Changer) ValidClient(ctx context.Context, cl registry.Client) (store.Client, string, error) {
	if store.UsesSecret(cl.TokenEndpointAuthMethod) && cl.ClientSecret == "" {
		cl.ClientSecret, _ = authserver.NewSecret()
	}
	apis, err := c.Store.ListAPIs(ctx)
	if err != nil {
		return store.Client{}, "", fmt.Errorf("list APIs: %w", err)
	}
	sc, err := c.Rules.NewClient(cl, apis)
	if err != nil {
		return store.Client{}, "", rest.Invalid(err)
	}
	return sc, cl.ClientSecret, nil
}

// CreateClient creates sc and returns it as read back, so that its ETag
// is the one later reads show; a *rest.Error (409) if its ID is taken.
func (c *Changer) CreateClient(ctx context.Context, sc store.Client) (registry.ClientInfo, error) {
	sc.CreatedAt = c.Now().UTC()
	if err := c.Store.CreateClient(ctx, sc); errors.Is(err, store.ErrAlreadyExists) {
		return registry.ClientInfo{}, &rest.Error{Status: http.StatusConflict, Slug: rest.ProblemConflict,
			Detail: "a client with this client_id exists", Fields: []rest.FieldProblem{{Field: "client_id", Detail: "is taken"}}}
	} else if err != nil {
		return registry.ClientInfo{}, fmt.Errorf("create client: %w", err)
	}
	c.Changed(ctx)
	if stored, err := c.Store.GetClient(ctx, sc.ID); err == nil {
		sc = stored
	}
	return registry.ClientFromStore(sc, registry.SourceStore), nil
}

// ReplaceClient is old with the metadata cl, validated as a new client
// would be, by the rule the CLI's clients update shares
// (config.Config.ReplaceClient): the secret digests stay, and a client
// moved to a secret auth method without one gets one, returned to be
// shown once.
func (c *Changer) ReplaceClient(old store.Client, cl registry.Client, apis []store.API) (store.Client, string, error) {
	next, generated, err := c.Rules.ReplaceClient(old, cl, apis, c.Now())
	if err != nil {
		return old, "", rest.Invalid(err)
	}
	return next, generated, nil
}

// RemoveClient deletes the stored client id with a cutoff that revokes
// its tokens, and waits for the cutoff's second to pass, so that a client
// created again with the same ID right after gets working tokens. check
// (nil for none) runs on the client inside the deletion's transaction;
// its error aborts it.
func (c *Changer) RemoveClient(ctx context.Context, id string, check func(store.Client) error) error {
	cut := c.Cutoff(id, "")
	if err := c.Store.DeleteClient(ctx, cut, c.Now(), check); err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	c.Changed(ctx)
	cut.Await(ctx) // the deletion has committed: a client gone early is still gone
	return nil
}
