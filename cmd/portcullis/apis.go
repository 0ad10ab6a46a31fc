package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/redisstate"
)

// apiReloadInterval is how often an instance reads the stored APIs, so
// that a change made at another instance takes effect here within five
// seconds without Redis; with Redis a change notice makes it reload at
// once.
const apiReloadInterval = 2 * time.Second

// watchAPIs keeps srv's stored APIs current until ctx ends: it polls the
// store every apiReloadInterval and, with Redis (rs not nil), reloads as
// soon as any instance announces a change (apisChanged).
func watchAPIs(ctx context.Context, srv *authserver.Server, rs *redisstate.Client) {
	go srv.RunAPIs(ctx, apiReloadInterval)
	if rs != nil {
		go rs.SubscribeChanges(ctx, redisstate.TopicAPIs, srv.APIsChanged)
	}
}

// apisChanged returns what the management API calls once a change to
// clients or APIs has committed (admin.Config.Changed): this instance
// reloads the APIs before the answer goes out, so its caller's next
// request sees the change, and, with Redis, every other instance is told
// to reload at once. Stored clients are read from the store at every
// request, so they need nothing more.
func apisChanged(srv *authserver.Server, rs *redisstate.Client, log *slog.Logger) func(context.Context) {
	return func(ctx context.Context) {
		if err := srv.ReloadAPIs(ctx); err != nil {
			// The periodic reload retries.
			log.WarnContext(ctx, "cannot reload the APIs after a change; retrying at the next poll", "err", err)
			srv.APIsChanged()
		}
		if rs != nil {
			rs.PublishChange(ctx, redisstate.TopicAPIs)
		}
	}
}
