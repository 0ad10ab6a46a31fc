package change

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
)

// Rules validates clients registered at run time with the rules of the
// configuration file (config.Config implements it).
type Rules interface {
	// NewClient validates cl, knowing the stored APIs' scopes, and returns
	// it as the store keeps it; its error joins *config.FieldErrors.
	NewClient(cl registry.Client, stored []store.API) (store.Client, error)
	// ReplaceClient validates cl as the new metadata of the stored client
	// old, keeping its secret digests, and returns a generated secret when
	// the client moves to a secret auth method without one.
	ReplaceClient(old store.Client, cl registry.Client, stored []store.API, now time.Time) (store.Client, string, error)
}

// Changer makes and records changes. Every field is required: its user
// fills in the defaults of its own Config.
type Changer struct {
	// Store holds what changes (clients, and admin/people's users and
	// grants) and the audit trail.
	Store store.Store
	// Rules validates clients.
	Rules Rules
	// Changed is called after every change to clients has committed.
	Changed func(context.Context)
	// TokenTTL is the longest lifetime of an access token: a cutoff is
	// kept that long plus store.CutoffSkew.
	TokenTTL time.Duration
	// Now returns the current time.
	Now func() time.Time
	// Log receives the failures to record a change; never a secret.
	Log *slog.Logger
	// TrustedProxies are the reverse proxies whose X-Forwarded-For tells
	// the caller's address, which each change's audit event records. Nil
	// trusts none: the peer's address is the caller's.
	TrustedProxies []netip.Prefix
}

// Cutoff returns the cutoff that revokes, now, every access token issued
// to clientID, subject, or subject at clientID, as the CLI's does.
func (c *Changer) Cutoff(clientID, subject string) store.Cutoff {
	return store.NewCutoff(clientID, subject, c.Now(), c.TokenTTL+store.CutoffSkew)
}

// Actor is who made a request: the access token's client and, for a
// user's token, the user. Both are empty for a request the guard did not
// check.
func Actor(r *http.Request) (clientID, subject string) {
	caller, ok := guard.CallerFromContext(r.Context())
	if !ok {
		return "", ""
	}
	sub := caller.Subject()
	if sub == caller.ClientID() {
		sub = "" // a client credentials token's sub is its client
	}
	return caller.ClientID(), sub
}

// Record stores an audit event for a change at once, naming the acting
// client and user in its detail: changes are rare and must not be lost,
// so it does not go through the batching recorder. A failure is logged:
// the change has committed.
func (c *Changer) Record(r *http.Request, typ string, e store.AuditEvent) {
	cid, sub := Actor(r)
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	if cid != "" {
		e.Detail["actor_client_id"] = cid
	}
	if sub != "" {
		e.Detail["actor_sub"] = sub
	}
	e.Type, e.Time, e.RequestID = typ, c.Now(), requestid.From(r.Context())
	// The caller's address, as the authorization server records it for
	// its own events. The console's calls arrive in process carrying the
	// browser's address (cmd/portcullis, inProcess).
	e.Remote = clientaddr.String(r, c.TrustedProxies)
	if err := c.Store.AppendAudit(context.WithoutCancel(r.Context()), []store.AuditEvent{e}); err != nil {
		c.Log.ErrorContext(r.Context(), "management API: record change in the audit trail", "type", typ, "err", err)
	}
}
