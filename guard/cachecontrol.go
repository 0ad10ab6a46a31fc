package guard

import (
	"strconv"
	"strings"
	"time"
)

// refreshInterval turns the JWKS response's Cache-Control header into the
// delay before the next background fetch. It refreshes at three quarters of
// max-age (RFC 9111 section 5.2.2.1) so the set is renewed before it goes
// stale, clamped to [lo, hi]. no-store and no-cache ask for the shortest
// interval allowed; a header without max-age leaves the longest.
func refreshInterval(cacheControl string, lo, hi time.Duration) time.Duration {
	d := hi
	for directive := range strings.SplitSeq(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return lo
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			// A huge max-age simply means hi; checking first keeps the
			// multiplication from overflowing.
			if err == nil && secs >= 0 && secs < int64(hi/time.Second) {
				d = time.Duration(secs) * time.Second * 3 / 4
			}
		}
	}
	return min(hi, max(lo, d))
}
