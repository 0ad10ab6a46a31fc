package sdk

import (
	"context"
	"iter"
	"net/http"

	"github.com/portcullis/portcullis/registry"
)

// APIsService manages APIs (resource servers) and the scopes they define:
// /admin/v1/apis. Reads need admin:apis:read, changes admin:apis:write. A
// created API's scopes can be granted at once, on every instance.
type APIsService struct{ c *Client }

// List returns every API: the configuration file's, the store's and the
// management API itself (Source "builtin"), from the page opts selects.
func (s *APIsService) List(ctx context.Context, opts ListOptions) iter.Seq2[registry.APIInfo, error] {
	return all[registry.APIInfo](ctx, s.c, "apis", opts.values(nil))
}

// Page returns one page of APIs.
func (s *APIsService) Page(ctx context.Context, opts ListOptions) (Page[registry.APIInfo], error) {
	return getPage[registry.APIInfo](ctx, s.c, "apis", opts.values(nil))
}

// Get reads the API whose identifier (a URI) is given.
func (s *APIsService) Get(ctx context.Context, identifier string) (Versioned[registry.APIInfo], error) {
	return get[registry.APIInfo](ctx, s.c, "apis/"+segment(identifier))
}

// Create registers api.
func (s *APIsService) Create(ctx context.Context, api registry.API) (Versioned[registry.APIInfo], error) {
	return send[registry.APIInfo](ctx, s.c, http.MethodPost, "apis", api, "", "")
}

// Update changes the fields patch names (the identifier cannot change),
// if the API still has the ETag ifMatch when it is not empty. A patch of
// "scopes" replaces the whole list.
func (s *APIsService) Update(ctx context.Context, identifier string, patch Patch, ifMatch string) (Versioned[registry.APIInfo], error) {
	return send[registry.APIInfo](ctx, s.c, http.MethodPatch, "apis/"+segment(identifier), patch, contentMergePatch, ifMatch)
}

// Delete removes a stored API, if it still has the ETag ifMatch when that
// is not empty. Clients keep its scope names, which grant nothing until
// an API defines them again.
func (s *APIsService) Delete(ctx context.Context, identifier, ifMatch string) error {
	return s.c.remove(ctx, "apis/"+segment(identifier), ifMatch)
}
