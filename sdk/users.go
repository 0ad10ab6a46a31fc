package sdk

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/portcullis/portcullis/registry"
)

// UsersService manages users: /admin/v1/users. Reads need
// admin:users:read, changes admin:users:write; a user's grants need
// admin:grants:read.
type UsersService struct{ c *Client }

// UserListOptions select users.
type UserListOptions struct {
	// Query keeps users whose username or email contains it, ignoring
	// case. Empty means every user.
	Query string
	ListOptions
}

func (o UserListOptions) values() url.Values {
	q := url.Values{}
	if o.Query != "" {
		q.Set("q", o.Query)
	}
	return o.ListOptions.values(q)
}

// List returns the users opts selects, by username.
func (s *UsersService) List(ctx context.Context, opts UserListOptions) iter.Seq2[registry.UserInfo, error] {
	return all[registry.UserInfo](ctx, s.c, "users", opts.values())
}

// Page returns one page of users.
func (s *UsersService) Page(ctx context.Context, opts UserListOptions) (Page[registry.UserInfo], error) {
	return getPage[registry.UserInfo](ctx, s.c, "users", opts.values())
}

// Get reads the user whose ID (subject) is given.
func (s *UsersService) Get(ctx context.Context, id string) (Versioned[registry.UserInfo], error) {
	return get[registry.UserInfo](ctx, s.c, "users/"+segment(id))
}

// Create adds u. Its password, if any, is never read back.
func (s *UsersService) Create(ctx context.Context, u registry.User) (Versioned[registry.UserInfo], error) {
	return send[registry.UserInfo](ctx, s.c, http.MethodPost, "users", u, "", "")
}

// Update changes username, claims or disabled as patch names them (claims
// merge: a nil claim removes it), if the user still has the ETag ifMatch
// when it is not empty. Disabling a user revokes their tokens.
func (s *UsersService) Update(ctx context.Context, id string, patch Patch, ifMatch string) (Versioned[registry.UserInfo], error) {
	return send[registry.UserInfo](ctx, s.c, http.MethodPatch, "users/"+segment(id), patch, contentMergePatch, ifMatch)
}

// SetDisabled disables the user (revoking their tokens) or enables them.
func (s *UsersService) SetDisabled(ctx context.Context, id string, disabled bool) (Versioned[registry.UserInfo], error) {
	return s.Update(ctx, id, Patch{"disabled": disabled}, "")
}

// Delete removes the user and revokes their tokens, if the user still has
// the ETag ifMatch when that is not empty.
func (s *UsersService) Delete(ctx context.Context, id, ifMatch string) error {
	return s.c.remove(ctx, "users/"+segment(id), ifMatch)
}

// SetPassword replaces the user's password and revokes their tokens.
func (s *UsersService) SetPassword(ctx context.Context, id, password string) error {
	_, err := s.c.do(ctx, request{method: http.MethodPut, path: "users/" + segment(id) + "/password",
		body: registry.Password{Password: password}}, nil)
	return err
}

// Grants returns the user's grants, newest first.
func (s *UsersService) Grants(ctx context.Context, id string, opts ListOptions) iter.Seq2[registry.Grant, error] {
	return all[registry.Grant](ctx, s.c, "users/"+segment(id)+"/grants", opts.values(nil))
}

// Sessions returns the user's live sign-on sessions, the most recent
// sign-in first, each named by its sid. It needs admin:users:read.
func (s *UsersService) Sessions(ctx context.Context, id string) ([]registry.Session, error) {
	p, err := getPage[registry.Session](ctx, s.c, "users/"+segment(id)+"/sessions", nil)
	return p.Items, err
}

// EndSession ends the user's session sid as logout does: the grants
// issued in it that were not authorized for offline access are revoked
// with it. It needs admin:users:write.
func (s *UsersService) EndSession(ctx context.Context, id, sid string) error {
	return s.c.remove(ctx, "users/"+segment(id)+"/sessions/"+segment(sid), "")
}

// Links returns the user's links to upstream identities (federated
// sign-in), oldest first: the connector and the upstream's subject that a
// sign-in finds the user by. It needs admin:users:read.
func (s *UsersService) Links(ctx context.Context, id string) ([]registry.Link, error) {
	p, err := getPage[registry.Link](ctx, s.c, "users/"+segment(id)+"/links", nil)
	return p.Items, err
}

// DeleteLink removes the user's link to subject at connectorID: the user
// stays, and that upstream identity's next sign-in is handled as a first
// one (provisioned, linked by verified email or refused, as the
// connector's rules say). It needs admin:users:write.
func (s *UsersService) DeleteLink(ctx context.Context, id, connectorID, subject string) error {
	return s.c.remove(ctx, "users/"+segment(id)+"/links/"+segment(connectorID)+"/"+segment(subject), "")
}

// Factors returns the user's authentication factors (passkeys, TOTP),
// oldest first, and how many unused recovery codes they have; never a
// factor's secret. It needs admin:users:read.
func (s *UsersService) Factors(ctx context.Context, id string) (registry.Factors, error) {
	var out registry.Factors
	_, err := s.c.do(ctx, request{method: http.MethodGet, path: "users/" + segment(id) + "/factors"}, &out)
	return out, err
}

// DeleteFactor removes one of the user's factors, even their last one:
// where MFA is required, their next sign-in enrols one anew. It needs
// admin:users:write.
func (s *UsersService) DeleteFactor(ctx context.Context, id, factorID string) error {
	return s.c.remove(ctx, "users/"+segment(id)+"/factors/"+segment(factorID), "")
}

// ResetFactors removes every factor and recovery code of the user, who
// lost their devices, and returns how many factors there were. It needs
// admin:users:write.
func (s *UsersService) ResetFactors(ctx context.Context, id string) (int, error) {
	var out registry.FactorsReset
	_, err := s.c.do(ctx, request{method: http.MethodDelete, path: "users/" + segment(id) + "/factors"}, &out)
	return out.Removed, err
}
