package main

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// cutoffSkew is added to the access token lifetime for how long a cutoff is
// kept, as for retired keys: relying parties' clocks may run behind.
const cutoffSkew = 5 * time.Minute

// cutoff returns the cutoff that revokes, now, every access token the
// server has issued to clientID, subject, or subject at clientID.
func (r *run) cutoff(clientID, subject string) store.Cutoff {
	return store.NewCutoff(clientID, subject, time.Now(), r.cfg.AccessTokenTTL+cutoffSkew)
}

// awaitCutoff returns once c.NotBefore has passed. A cutoff refuses every
// token of the second it was made in (see store.NewCutoff), so a command
// that waits for it guarantees what people expect of it: every token issued
// before it returns is revoked, and every token issued after it works.
func (r *run) awaitCutoff(c store.Cutoff) error {
	t := time.NewTimer(time.Until(c.NotBefore))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}
