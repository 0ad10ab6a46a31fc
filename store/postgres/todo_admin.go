package postgres

// Stubs of the management API's store methods; the store helper replaces
// this file with the real implementation and its conformance tests.

import (
	"context"
	"errors"

	"github.com/portcullis/portcullis/store"
)

var errTODO = errors.New("postgres: not implemented yet")

func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	return errTODO
}
func (s *Store) CreateAPI(ctx context.Context, a store.API) error { return errTODO }
func (s *Store) GetAPI(ctx context.Context, identifier string) (store.API, error) {
	return store.API{}, errTODO
}
func (s *Store) ListAPIs(ctx context.Context) ([]store.API, error) { return nil, nil }
func (s *Store) UpdateAPI(ctx context.Context, identifier string, update func(*store.API) error) error {
	return errTODO
}
func (s *Store) DeleteAPI(ctx context.Context, identifier string) error { return errTODO }
func (s *Store) SearchUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	return nil, errTODO
}
func (s *Store) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	return store.Grant{}, errTODO
}
func (s *Store) ListGrants(ctx context.Context, f store.GrantFilter) ([]store.Grant, error) {
	return nil, errTODO
}
