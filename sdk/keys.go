package sdk

import (
	"context"
	"net/http"

	"github.com/portcullis/portcullis/registry"
)

// KeysService reads and rotates the signing keys: /admin/v1/keys. Reads
// need admin:keys:read, rotation admin:keys:write. Private parts never
// leave the server.
type KeysService struct{ c *Client }

// List returns every signing key with its lifecycle dates.
func (s *KeysService) List(ctx context.Context) ([]registry.Key, error) {
	p, err := getPage[registry.Key](ctx, s.c, "keys", nil)
	return p.Items, err
}

// Rotate adds a key for rot.Alg that starts signing after rot.ActivateIn,
// once relying parties have fetched it; the current key then retires.
func (s *KeysService) Rotate(ctx context.Context, rot registry.KeyRotation) (registry.Key, error) {
	var out registry.Key
	_, err := s.c.do(ctx, request{method: http.MethodPost, path: "keys/rotate", body: rot}, &out)
	return out, err
}
