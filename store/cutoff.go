package store

import (
	"context"
	"errors"
	"time"
)

// Cutoff revokes at once every access token issued, before NotBefore, to a
// client (ClientID), to a user (Subject), or to a user at a client (both).
// It is how revoking "everything" reaches client credentials tokens, which
// are stateless JWTs recorded nowhere, and how it reaches user tokens that
// a guard validated before their grant was revoked.
type Cutoff struct {
	// Seq orders cutoffs for pollers; the store assigns it.
	Seq      int64
	ClientID string
	Subject  string
	// NotBefore is a whole second: a token whose iat is before it is
	// revoked. See NewCutoff for why it is the second after the revocation.
	NotBefore time.Time
	// ExpiresAt is when every token the cutoff can revoke has expired; the
	// store keeps the cutoff until then, past the deletion of its client
	// or user.
	ExpiresAt time.Time
}

// CutoffSkew is added to the access token lifetime for how long a cutoff
// is kept, as for retired keys: relying parties' clocks may run behind.
const CutoffSkew = 5 * time.Minute

// ErrCutoffTarget is returned for a cutoff that names neither a client nor
// a subject: it would revoke every token there is.
var ErrCutoffTarget = errors.New("store: a cutoff needs a client or a subject")

// NewCutoff returns the cutoff for revoking, at now, the tokens of a client
// or a subject (or both) that live at most tokenTTL.
//
// A JWT's iat counts whole seconds, so a token issued in the second of now,
// before or after it, has the same iat. NotBefore is the start of the next
// second, which refuses every token of that second: one issued an instant
// after the revocation is refused too, but never one issued before it is
// accepted. Callers that must be sure a token issued after they return
// works wait until NotBefore before they return.
func NewCutoff(clientID, subject string, now time.Time, tokenTTL time.Duration) Cutoff {
	nb := now.Truncate(time.Second).Add(time.Second)
	return Cutoff{ClientID: clientID, Subject: subject, NotBefore: nb, ExpiresAt: nb.Add(tokenTTL)}
}

// Await returns once c.NotBefore has passed, at most a second after c was
// made, or when ctx is done. A cutoff refuses every token of the second it
// was made in (NewCutoff), so a command or request that waits for it
// before it answers guarantees what people expect: every token issued
// before the answer is revoked, and every token issued after it works.
func (c Cutoff) Await(ctx context.Context) error {
	t := time.NewTimer(time.Until(c.NotBefore))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
