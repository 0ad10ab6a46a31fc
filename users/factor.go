package users

import (
	"context"
	"fmt"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// FactorStore is the part of store.Store that Factors needs.
type FactorStore interface {
	ListFactors(ctx context.Context, userID string) ([]store.Factor, error)
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
}

// Factors returns the user's factors, oldest first, and how many unused
// recovery codes they have, as the management API and the CLI show them:
// never a factor's state or credential ID.
func Factors(ctx context.Context, st FactorStore, userID string) (registry.Factors, error) {
	found, err := st.ListFactors(ctx, userID)
	if err != nil {
		return registry.Factors{}, fmt.Errorf("list factors: %w", err)
	}
	left, err := st.CountRecoveryCodes(ctx, userID)
	if err != nil {
		return registry.Factors{}, fmt.Errorf("list factors: %w", err)
	}
	out := registry.Factors{Items: []registry.Factor{}, RecoveryCodesLeft: left}
	for _, f := range found {
		out.Items = append(out.Items, registry.FactorFromStore(f))
	}
	return out, nil
}
