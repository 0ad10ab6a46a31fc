package store

import "time"

// MaxSecretOverlap bounds how long a replaced client secret stays valid:
// a week is time enough to roll the new one out, and a leaked secret must
// not live on for long.
const MaxSecretOverlap = 7 * 24 * time.Hour

// RotateSecret gives c the secret whose digest is hash, keeping the
// current one valid until now + overlap (not at all for 0), and forgets
// any older one. The CLI and the management API rotate with it, inside
// an UpdateClient.
func (c *Client) RotateSecret(hash []byte, overlap time.Duration, now time.Time) {
	c.PreviousSecretHash, c.PreviousSecretExpiresAt = nil, time.Time{}
	if overlap > 0 {
		c.PreviousSecretHash, c.PreviousSecretExpiresAt = c.SecretHash, now.Add(overlap)
	}
	c.SecretHash, c.UpdatedAt = hash, now
}

// UsesSecret reports whether clients of the auth method authenticate with
// a client secret; empty means client_secret_basic.
func UsesSecret(method string) bool {
	return method == "" || method == AuthSecretBasic || method == AuthSecretPost
}
