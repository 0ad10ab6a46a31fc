package registry

import (
	"encoding/json"
	"time"
)

// Key is a signing key as the management API shows it: the public part
// and its lifecycle, never the private part.
type Key struct {
	KID string `json:"kid"`
	Alg string `json:"alg"`
	// State is pending (published, not yet signing), active, retired
	// (published for tokens it signed) or expired.
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatesAt time.Time `json:"activates_at"`
	// RetiredAt is when a newer key of its algorithm took over; zero
	// while it is the newest.
	RetiredAt time.Time `json:"retired_at,omitzero"`
	// Public is the public JWK, as the JWKS serves it.
	Public json.RawMessage `json:"public_jwk"`
}

// KeyRotation is the body of POST /admin/v1/keys/rotate.
type KeyRotation struct {
	// Alg is the algorithm to rotate. Empty means the access token
	// algorithm.
	Alg string `json:"alg,omitempty"`
	// ActivateIn is how long the new key is published before it signs,
	// so that relying parties fetch it first. Zero means the key set's
	// refresh period plus a margin (as `portcullis keys rotate`).
	ActivateIn Duration `json:"activate_in,omitempty"`
}

// SecretRotation is the body of POST /admin/v1/clients/{client_id}/secret.
type SecretRotation struct {
	// Overlap is how long the replaced secret stays valid, so the
	// client's instances can move to the new one: zero (the default)
	// means not at all, at most 168h (7 days).
	Overlap Duration `json:"overlap,omitempty"`
}

// NewSecret is the answer to a SecretRotation and part of the answer to a
// client's creation: the secret, shown only this once.
type NewSecret struct {
	ClientSecret string `json:"client_secret"`
	// PreviousSecretExpiresAt is when the replaced secret stops working;
	// zero when it already has.
	PreviousSecretExpiresAt time.Time `json:"previous_secret_expires_at,omitzero"`
}
