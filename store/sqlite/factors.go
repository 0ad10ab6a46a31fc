package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/portcullis/portcullis/store"
)

// errTODO marks the factor methods the store helper implements next.
var errTODO = errors.New("factors: not implemented yet")

func (s *Store) CreateFactor(ctx context.Context, f store.Factor) error { return errTODO }
func (s *Store) ListFactors(ctx context.Context, userID string) ([]store.Factor, error) {
	return nil, errTODO
}
func (s *Store) GetFactorByCredential(ctx context.Context, credentialID []byte) (store.Factor, error) {
	return store.Factor{}, errTODO
}
func (s *Store) UpdateFactor(ctx context.Context, userID, id string, update func(*store.Factor) error) error {
	return errTODO
}
func (s *Store) DeleteFactor(ctx context.Context, userID, id string, check func([]store.Factor) error) error {
	return errTODO
}
func (s *Store) DeleteFactors(ctx context.Context, userID string) (int, error) { return 0, errTODO }
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	return errTODO
}
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) error {
	return errTODO
}
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	return 0, errTODO
}
func (s *Store) UpdateSession(ctx context.Context, idHash string, now time.Time, update func(*store.Session) error) error {
	return errTODO
}
