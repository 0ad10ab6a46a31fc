package gateway

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/usage"
)

// usageReporter turns the requests the gateway judges into usage.APICall
// events for Config.Usage: those the guard refuses, through its
// Options.Observe; those a cookie route refuses before the guard; and
// those let through, as they reach the proxy (admitted), not when the
// guard would report them, once the upstream's answer has ended: a
// stream's call counts in the hour it starts.
type usageReporter struct {
	sink usage.Sink
	// api is the gateway's audience: the API every route is part of.
	api     string
	trusted []netip.Prefix
}

// observe is the guard's Options.Observe: it reports refusals.
func (u *usageReporter) observe(r *http.Request, c *guard.Caller, err error) {
	if err != nil {
		u.report(r, c, guard.Outcome(err))
	}
}

// admitted reports the requests that reach next, the proxy, as let
// through. Without a reporter it is next.
func (u *usageReporter) admitted(next http.Handler) http.Handler {
	if u == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := guard.CallerFromContext(r.Context())
		u.report(r, c, guard.OutcomeAllowed)
		next.ServeHTTP(w, r)
	})
}

// report sends one APICall event. The route is the configured path,
// which ServeHTTP names in r.Pattern; the outcome is one of
// guard.Outcomes.
func (u *usageReporter) report(r *http.Request, c *guard.Caller, outcome string) {
	if u == nil {
		return
	}
	e := usage.Event{Kind: usage.APICall, Time: time.Now(), Audience: u.api, Route: r.Pattern,
		Address: clientaddr.String(r, u.trusted), UserAgent: r.UserAgent(), Outcome: outcome}
	if c != nil {
		e.ClientID, e.Subject, e.TokenID = c.ClientID(), c.Subject(), c.TokenID()
	}
	u.sink.Observe(e)
}
