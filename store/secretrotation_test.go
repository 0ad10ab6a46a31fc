package store

import (
	"bytes"
	"testing"
	"time"
)

// TestRotateSecret checks which digests a rotation keeps, with and
// without an overlap, and that it forgets an older previous secret.
func TestRotateSecret(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		overlap      time.Duration
		wantPrevious []byte
		wantExpiry   time.Time
	}{
		{"no overlap", 0, nil, time.Time{}},
		{"one hour", time.Hour, []byte("current"), now.Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Client{SecretHash: []byte("current"), PreviousSecretHash: []byte("older"), PreviousSecretExpiresAt: now.Add(time.Minute)}
			c.RotateSecret([]byte("new"), tc.overlap, now)
			if !bytes.Equal(c.SecretHash, []byte("new")) || !bytes.Equal(c.PreviousSecretHash, tc.wantPrevious) ||
				!c.PreviousSecretExpiresAt.Equal(tc.wantExpiry) || !c.UpdatedAt.Equal(now) {
				t.Errorf("after rotation: %+v", c)
			}
		})
	}
}
