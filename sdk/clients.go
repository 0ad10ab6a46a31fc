package sdk

import (
	"context"
	"iter"
	"net/http"

	"github.com/portcullis/portcullis/registry"
)

// ClientsService manages OAuth clients: /admin/v1/clients. Reads need
// admin:clients:read, changes admin:clients:write.
type ClientsService struct{ c *Client }

// List returns every client, those of the configuration file (Source
// "config") and the store's, by client_id, from the page opts selects.
func (s *ClientsService) List(ctx context.Context, opts ListOptions) iter.Seq2[registry.ClientInfo, error] {
	return all[registry.ClientInfo](ctx, s.c, "clients", opts.values(nil))
}

// Page returns one page of clients.
func (s *ClientsService) Page(ctx context.Context, opts ListOptions) (Page[registry.ClientInfo], error) {
	return getPage[registry.ClientInfo](ctx, s.c, "clients", opts.values(nil))
}

// Get reads one client.
func (s *ClientsService) Get(ctx context.Context, clientID string) (Versioned[registry.ClientInfo], error) {
	return get[registry.ClientInfo](ctx, s.c, "clients/"+segment(clientID))
}

// Create registers cl. Its ClientSecret, when empty, is generated for the
// auth methods that take one; the answer's Value.ClientSecret holds it,
// shown only this once.
func (s *ClientsService) Create(ctx context.Context, cl registry.Client) (Versioned[registry.ClientInfo], error) {
	return send[registry.ClientInfo](ctx, s.c, http.MethodPost, "clients", cl, "", "")
}

// Update changes the fields patch names (client_id and client_secret
// cannot change; RotateSecret replaces the secret), if the client still
// has the ETag ifMatch when it is not empty. A patch that moves a client
// without a secret to a secret auth method generates one: the answer's
// Value.ClientSecret holds it, shown only this once.
func (s *ClientsService) Update(ctx context.Context, clientID string, patch Patch, ifMatch string) (Versioned[registry.ClientInfo], error) {
	return send[registry.ClientInfo](ctx, s.c, http.MethodPatch, "clients/"+segment(clientID), patch, contentMergePatch, ifMatch)
}

// Delete removes a stored client and revokes every token issued to it,
// if it still has the ETag ifMatch when that is not empty.
func (s *ClientsService) Delete(ctx context.Context, clientID, ifMatch string) error {
	return s.c.remove(ctx, "clients/"+segment(clientID), ifMatch)
}

// RotateSecret gives the client a new secret, returned only this once;
// the old one stays valid for rot.Overlap (at most 7 days).
func (s *ClientsService) RotateSecret(ctx context.Context, clientID string, rot registry.SecretRotation) (registry.NewSecret, error) {
	var out registry.NewSecret
	_, err := s.c.do(ctx, request{method: http.MethodPost, path: "clients/" + segment(clientID) + "/secret", body: rot}, &out)
	return out, err
}
