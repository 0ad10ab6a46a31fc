package guard

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxRevocationPages bounds the pages read in one poll, so that a server
// that keeps answering with new entries cannot hold the poller forever.
const maxRevocationPages = 100

// minRefreshGap spaces the polls RefreshRevocations triggers. Any client may
// revoke its own tokens, so notices can come as fast as someone sends
// revocations; the gap caps what that costs the issuer at two polls a
// second per guard, and delays a revocation by at most that much.
const minRefreshGap = 500 * time.Millisecond

// revocationPage is one answer of Portcullis's revocation list:
// GET {endpoint}?after=CURSOR&cutoffs_after=CUTOFF_CURSOR lists the JWTs
// revoked after CURSOR that have not expired yet, the cutoffs recorded
// after CUTOFF_CURSOR that can still revoke an unexpired token, and the
// cursors to ask with next. An issuer that predates cutoffs answers
// without them, and its cutoff cursor stays 0.
type revocationPage struct {
	Cursor  int64 `json:"cursor"`
	Revoked []struct {
		JTI string `json:"jti"`
		Exp int64  `json:"exp"`
	} `json:"revoked"`
	CutoffCursor int64 `json:"cutoff_cursor"`
	Cutoffs      []struct {
		ClientID  string `json:"client_id"`
		Sub       string `json:"sub"`
		NotBefore int64  `json:"not_before"`
		Exp       int64  `json:"exp"`
	} `json:"cutoffs"`
}

// cutoffKey names whom a cutoff is for: a client, a subject, or a subject
// at a client; the member it does not name is empty.
type cutoffKey struct{ clientID, sub string }

// cutoff revokes the tokens of its key issued before notBefore (Unix
// seconds); it is dropped after exp, when all of them have expired.
type cutoff struct{ notBefore, exp int64 }

// revocations polls the issuer's revocation list and answers, without
// locking, whether a jti is revoked. Polling bounds how long a revoked JWT
// stays accepted to the interval; the alternative, introspecting every
// token, bounds it to the introspection cache lifetime at the price of a
// round trip per new token (see the package documentation).
type revocations struct {
	endpoint *url.URL
	client   *http.Client
	log      *slog.Logger
	now      func() time.Time
	leeway   time.Duration

	// cursor and cutoffCursor are touched only by poll, which runs in one
	// goroutine at a time (New, then run).
	cursor, cutoffCursor int64
	// revoked maps jti to exp in Unix seconds; replaced, never modified.
	revoked atomic.Pointer[map[string]int64]
	// cutoffs holds the latest cutoff of each key; replaced, never
	// modified.
	cutoffs atomic.Pointer[map[cutoffKey]cutoff]

	polls, failures atomic.Int64

	// refresh holds a pending RefreshRevocations; its buffer of one
	// coalesces the calls made while a poll is pending or running. It is
	// made on first use, by whichever of run and trigger comes first.
	refresh     chan struct{}
	refreshOnce sync.Once
}

// RefreshRevocations makes the guard poll the issuer's revocation list now
// instead of at the next Options.RevocationInterval, and returns without
// waiting for the poll. Calls made while a poll is pending or running
// coalesce into one more poll, and the polls it triggers are at least half
// a second apart, so calling it in a loop costs the issuer at most two
// requests a second. It does nothing when the guard does not poll (a
// negative RevocationInterval, or an issuer without a revocation list).
// Call it when told that a token was revoked, for instance on each notice
// Portcullis publishes through Redis.
func (g *Guard) RefreshRevocations() {
	if g.ready.Ready() && g.revocations != nil {
		g.revocations.trigger()
	}
}

// trigger asks run for a poll unless one is pending already.
func (r *revocations) trigger() {
	select {
	case r.refreshes() <- struct{}{}:
	default:
	}
}

// refreshes returns the channel of pending refreshes. The guard builds
// revocations as a literal, so the channel is made here, once.
func (r *revocations) refreshes() chan struct{} {
	r.refreshOnce.Do(func() { r.refresh = make(chan struct{}, 1) })
	return r.refresh
}

// isRevoked reports whether the issuer revoked c's token: listed its jti,
// or cut off its client, its subject, or its subject at its client at a
// time after the token's iat. A token without iat counts as issued at
// the epoch, so any cutoff that names it revokes it.
func (r *revocations) isRevoked(c *Caller) bool {
	if c.tokenID != "" {
		if _, ok := (*r.revoked.Load())[c.tokenID]; ok {
			return true
		}
	}
	cuts := *r.cutoffs.Load()
	if len(cuts) == 0 {
		return false
	}
	var iat int64
	if !c.issuedAt.IsZero() {
		iat = c.issuedAt.Unix()
	}
	for _, k := range [...]cutoffKey{{c.clientID, ""}, {"", c.subject}, {c.clientID, c.subject}} {
		if cut, ok := cuts[k]; ok && iat < cut.notBefore {
			return true
		}
	}
	return false
}

// run polls every interval, and when RefreshRevocations asks, until ctx
// ends. The interval counts from the last poll, whatever started it.
func (r *revocations) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.refreshes():
			if wait := minRefreshGap - time.Since(last); wait > 0 {
				gap := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					gap.Stop()
					return
				case <-gap.C:
				}
			}
		}
		last = time.Now()
		// poll logs and counts its failures; the next tick retries.
		_ = r.poll(ctx)
		t.Reset(interval)
	}
}

// poll reads the entries newer than the cursor, page after page, and
// installs them with the entries that have expired dropped: an expired
// token is refused on its exp anyway. On failure what was read so far is
// kept and the failure is logged and counted.
func (r *revocations) poll(ctx context.Context) error {
	defer r.polls.Add(1)
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	next := make(map[string]int64)
	if cur := r.revoked.Load(); cur != nil {
		maps.Copy(next, *cur)
	}
	nextCuts := make(map[cutoffKey]cutoff)
	if cur := r.cutoffs.Load(); cur != nil {
		maps.Copy(nextCuts, *cur)
	}
	var err error
	for range maxRevocationPages {
		var page revocationPage
		if _, err = getJSON(ctx, r.client, r.pageURL(), &page); err != nil {
			break
		}
		for _, e := range page.Revoked {
			next[e.JTI] = e.Exp
		}
		for _, e := range page.Cutoffs {
			if e.ClientID == "" && e.Sub == "" {
				continue // names no one; refusing every token is not what it means
			}
			k := cutoffKey{e.ClientID, e.Sub}
			cur := nextCuts[k]
			nextCuts[k] = cutoff{notBefore: max(cur.notBefore, e.NotBefore), exp: max(cur.exp, e.Exp)}
		}
		// A page can advance a cursor past entries that expired and were
		// left out, so only unmoved cursors mean the poller caught up.
		caughtUp := page.Cursor == r.cursor && page.CutoffCursor == r.cutoffCursor
		r.cursor, r.cutoffCursor = page.Cursor, page.CutoffCursor
		if caughtUp {
			break
		}
	}
	horizon := r.now().Add(-r.leeway).Unix()
	maps.DeleteFunc(next, func(_ string, exp int64) bool { return exp < horizon })
	maps.DeleteFunc(nextCuts, func(_ cutoffKey, c cutoff) bool { return c.exp < horizon })
	r.revoked.Store(&next)
	r.cutoffs.Store(&nextCuts)
	if err != nil {
		n := r.failures.Add(1)
		r.log.Warn("guard: revocation list poll failed; revocations newer than the last poll are not yet enforced", "url", r.endpoint.Redacted(), "failures", n, "err", err)
		return fmt.Errorf("%w: %w", ErrRevocationList, err)
	}
	return nil
}

// pageURL is the endpoint with after set to the cursor.
func (r *revocations) pageURL() string {
	u := *r.endpoint
	q := u.Query()
	q.Set("after", strconv.FormatInt(r.cursor, 10))
	q.Set("cutoffs_after", strconv.FormatInt(r.cutoffCursor, 10))
	u.RawQuery = q.Encode()
	return u.String()
}
