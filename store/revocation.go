package store

import "time"

// Revocation records a revoked JWT access token by its jti. It is kept until
// the token would have expired anyway.
type Revocation struct {
	// Seq orders revocations for pollers; the store assigns it.
	Seq       int64
	JTI       string
	ExpiresAt time.Time
	RevokedAt time.Time
}
