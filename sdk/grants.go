package sdk

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/registry"
)

// GrantsService reads and revokes grants, and revokes tokens in bulk:
// /admin/v1/grants and /admin/v1/revocations. Reads need
// admin:grants:read, revocations admin:grants:write.
type GrantsService struct{ c *Client }

// GrantFilter selects grants. Zero fields select everything.
type GrantFilter struct {
	UserID   string
	ClientID string
	// Live keeps grants neither revoked nor expired.
	Live bool
	ListOptions
}

func (f GrantFilter) values() url.Values {
	q := url.Values{}
	if f.UserID != "" {
		q.Set("user_id", f.UserID)
	}
	if f.ClientID != "" {
		q.Set("client_id", f.ClientID)
	}
	if f.Live {
		q.Set("live", "true")
	}
	return f.ListOptions.values(q)
}

// List returns the grants f selects, newest first.
func (s *GrantsService) List(ctx context.Context, f GrantFilter) iter.Seq2[registry.Grant, error] {
	return all[registry.Grant](ctx, s.c, "grants", f.values())
}

// Page returns one page of grants.
func (s *GrantsService) Page(ctx context.Context, f GrantFilter) (Page[registry.Grant], error) {
	return getPage[registry.Grant](ctx, s.c, "grants", f.values())
}

// Get reads one grant.
func (s *GrantsService) Get(ctx context.Context, id string) (Versioned[registry.Grant], error) {
	return get[registry.Grant](ctx, s.c, "grants/"+segment(id))
}

// Revoke revokes the grant and every token issued from it, if it still
// has the ETag ifMatch when that is not empty.
func (s *GrantsService) Revoke(ctx context.Context, id, ifMatch string) error {
	return s.c.remove(ctx, "grants/"+segment(id), ifMatch)
}

// RevokeTokens does what `portcullis tokens revoke` does: it revokes one
// access token (JTI), or everything issued to a client, a user, or a user
// at a client.
func (s *GrantsService) RevokeTokens(ctx context.Context, rev registry.Revocation) (registry.RevocationResult, error) {
	var out registry.RevocationResult
	_, err := s.c.do(ctx, request{method: http.MethodPost, path: "revocations", body: rev}, &out)
	return out, err
}
