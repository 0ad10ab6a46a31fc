package main

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// cutoff returns the cutoff that revokes, now, every access token the
// server has issued to clientID, subject, or subject at clientID.
func (r *run) cutoff(clientID, subject string) store.Cutoff {
	return store.NewCutoff(clientID, subject, time.Now(), r.cfg.AccessTokenTTL+store.CutoffSkew)
}

// awaitCutoff returns once c.NotBefore has passed (store.Cutoff.Await).
func (r *run) awaitCutoff(c store.Cutoff) error { return c.Await(r.ctx) }
