package registry

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// Factor is an authentication factor a user enrolled, as the management
// API and the CLI show it: what it is and when it was used, never its
// state (a passkey's public key, a TOTP secret) or its credential ID.
type Factor struct {
	ID string `json:"id"`
	// Kind is "passkey" or "totp".
	Kind string `json:"kind"`
	// Name is the user's label for it.
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is when it last proved a sign-in; absent if never.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Factors is a user's factors, oldest first, with how many unused
// recovery codes they have left. A user has few factors: the list is one
// page, without a cursor.
type Factors struct {
	Items             []Factor `json:"items"`
	RecoveryCodesLeft int      `json:"recovery_codes_left"`
}

// FactorFromStore is f as the management API and the CLI show it.
func FactorFromStore(f store.Factor) Factor {
	out := Factor{ID: f.ID, Kind: f.Kind, Name: f.Name, CreatedAt: f.CreatedAt}
	if !f.LastUsedAt.IsZero() {
		used := f.LastUsedAt
		out.LastUsedAt = &used
	}
	return out
}

// FactorsReset answers an administrator's reset of a user's factors:
// how many factors were removed (their recovery codes went with them).
type FactorsReset struct {
	Removed int `json:"removed"`
}
