package guard

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// maxRevocationPages bounds the pages read in one poll, so that a server
// that keeps answering with new entries cannot hold the poller forever.
const maxRevocationPages = 100

// revocationPage is one answer of Portcullis's revocation list:
// GET {endpoint}?after=CURSOR lists the JWTs revoked after CURSOR that have
// not expired yet, and the cursor to ask with next.
type revocationPage struct {
	Cursor  int64 `json:"cursor"`
	Revoked []struct {
		JTI string `json:"jti"`
		Exp int64  `json:"exp"`
	} `json:"revoked"`
}

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

	// cursor is touched only by poll, which runs in one goroutine at a
	// time (New, then run).
	cursor int64
	// revoked maps jti to exp in Unix seconds; replaced, never modified.
	revoked atomic.Pointer[map[string]int64]

	polls, failures atomic.Int64
}

// isRevoked reports whether the issuer listed jti as revoked.
func (r *revocations) isRevoked(jti string) bool {
	_, ok := (*r.revoked.Load())[jti]
	return ok
}

// run polls every interval until ctx ends.
func (r *revocations) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// poll logs and counts its failures; the next tick retries.
			_ = r.poll(ctx)
		}
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
	var err error
	for range maxRevocationPages {
		var page revocationPage
		if _, err = getJSON(ctx, r.client, r.pageURL(), &page); err != nil {
			break
		}
		for _, e := range page.Revoked {
			next[e.JTI] = e.Exp
		}
		// A page can advance the cursor past entries that expired and were
		// left out, so only an unmoved cursor means the poller caught up.
		caughtUp := page.Cursor == r.cursor
		r.cursor = page.Cursor
		if caughtUp {
			break
		}
	}
	horizon := r.now().Add(-r.leeway).Unix()
	maps.DeleteFunc(next, func(_ string, exp int64) bool { return exp < horizon })
	r.revoked.Store(&next)
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
	u.RawQuery = q.Encode()
	return u.String()
}
