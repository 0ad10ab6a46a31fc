package usage

import (
	"context"
	"log/slog"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

// respondTimeout bounds the store writes of one response.
const respondTimeout = 10 * time.Second

// respondLoop carries out the queued responses, one at a time, off the
// request paths, until Close, and then those already queued.
func (d *Detector) respondLoop() {
	for {
		select {
		case j := <-d.jobs:
			d.responded(j.x.Response, d.respond(j))
		case <-d.stop:
			for {
				select {
				case j := <-d.jobs:
					d.responded(j.x.Response, d.respond(j))
				default:
					return
				}
			}
		}
	}
}

// respond carries out one response and audits it: a token_revoked or
// client_suspended event naming the rule and the detection. It reports
// whether it was carried out.
func (d *Detector) respond(j response) bool {
	ctx, cancel := context.WithTimeout(j.ctx, respondTimeout)
	defer cancel()
	x, now := j.x, d.opts.Now()
	detail := map[string]any{"reason": "anomaly", "rule": x.Rule, "anomaly": x.ID}
	e := store.AuditEvent{Time: now, ClientID: x.ClientID, Subject: x.Subject, Detail: detail}
	fail := func(err error) bool {
		d.opts.Log.ErrorContext(ctx, "anomaly response failed", "rule", x.Rule, "response", x.Response,
			"client_id", x.ClientID, "anomaly", x.ID, "err", err)
		return false
	}
	switch x.Response {
	case RespondRevokeToken:
		if x.TokenID == "" {
			return false
		}
		// The token's exp is not known here; none outlives TokenTTL.
		err := d.opts.Revoker.RevokeToken(ctx, store.Revocation{JTI: x.TokenID, ExpiresAt: now.Add(d.opts.TokenTTL), RevokedAt: now})
		if err != nil {
			return fail(err)
		}
		e.Type, detail["jti"] = audit.TokenRevoked, x.TokenID
	case RespondSuspendClient:
		if x.ClientID == "" {
			return false
		}
		if x.Subject != "" && x.Subject != x.ClientID || x.Evidence["user_traffic"] == true {
			// A user's token, or a rate users' traffic is part of: any
			// one of the client's users could have caused it (with
			// their own token from several user agents, or by calling
			// fast), and would suspend the client for all the others.
			d.opts.Log.WarnContext(ctx, "anomaly response not carried out: users' tokens, not only the client's own, raised it",
				"rule", x.Rule, "response", x.Response, "client_id", x.ClientID, "anomaly", x.ID)
			return false
		}
		until, err := d.opts.Suspensions.Extend(ctx, store.Suspension{ClientID: x.ClientID, Until: now.Add(j.suspendFor),
			Reason: "anomaly " + x.Rule + " " + x.ID, CreatedAt: now})
		if err != nil {
			return fail(err)
		}
		e.Type, detail["until"] = audit.ClientSuspended, until.UTC().Format(time.RFC3339)
	default:
		return false
	}
	d.opts.Auditor.Record(ctx, slog.LevelWarn, e)
	return true
}
