package store

import "time"

// Key is a signing key. A key is published in the JWKS from CreatedAt on and
// signs from ActivatesAt on, so relying parties can fetch it before they see
// tokens signed with it. Whether it is retired is derived from the newer keys
// of the same algorithm rather than stored.
type Key struct {
	ID  string // the kid
	Alg string // JWS algorithm, for example ES256
	// Private is the private key in PKCS #8 DER form.
	Private     []byte
	CreatedAt   time.Time
	ActivatesAt time.Time
}
