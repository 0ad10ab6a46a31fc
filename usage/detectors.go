package usage

import (
	"context"

	"github.com/portcullis/portcullis/store"
)

// Outcomes of APICall events that the rules read (Event.Outcome).
const (
	outcomeRevoked      = "revoked"
	outcomeExpired      = "expired"
	outcomeInvalidToken = "invalid_token"
)

// due reports whether a key whose last detection was at *fired (zero:
// never) may raise another at now, and if so marks it: one detection per
// rule and key per window.
func due(fired *int64, now, window int64) bool {
	if *fired != 0 && now-*fired < window {
		return false
	}
	*fired = now
	return true
}

// theftState is what token_theft keeps per token: the addresses and user
// agents it came from, each a set of Addresses+1 (UserAgents+1) slots.
type theftState struct {
	addrs, agents distinct
	fired         int64
}

// presentedState is what revoked_token_use keeps per token.
type presentedState struct {
	n     int   // presentations since start
	start int64 // start of the counting window
	fired bool  // once per token
}

// burstState counts events of one key in a window (invalid_client), or
// only remembers the last detection (refresh_reuse).
type burstState struct {
	c     counter
	fired int64
}

// spreadState is what credential_stuffing keeps per address (the
// accounts it failed) or per account (the addresses that failed it).
type spreadState struct {
	set   distinct
	fired int64
}

// apiCall feeds an APICall event refused as revoked or expired to
// revoked_token_use, and any other to client_rate and, if it names a
// verified token, to token_theft. A dead token's calls are no part of its
// client's rate: whoever still holds one (from a log, say) could
// otherwise drive the client to a client_rate response.
func (d *Detector) apiCall(e Event) {
	now := d.timeOf(e.Time)
	if e.Outcome == outcomeRevoked || e.Outcome == outcomeExpired {
		if e.TokenID != "" {
			d.presentedAfter(now, e)
		}
		return
	}
	d.rate(context.Background(), now, d.callRates, seriesCalls, e.ClientID, userEvent(e))
	if e.TokenID != "" && e.Outcome != outcomeInvalidToken {
		d.theft(now, e)
	}
}

// theft is token_theft.
func (d *Detector) theft(now instant, e Event) {
	r := &d.cfg.TokenTheft
	if r.Disabled {
		return
	}
	w := int64(r.Window)
	addr := parseAddress(e.Address)
	var x Detection
	fired := false
	d.tokens.update(e.TokenID, func(s *theftState, fresh bool) {
		if fresh {
			s.addrs, s.agents = newDistinct(r.Addresses), newDistinct(r.UserAgents)
		}
		if !addr.empty() {
			if i := s.addrs.add(addr.hash(d), now.ns, w); i >= 0 {
				s.addrs.keep(i, addr.String())
			}
		}
		if e.UserAgent != "" {
			s.agents.add(d.hash(e.UserAgent), now.ns, w)
		}
		na, nu := s.addrs.count(now.ns, w), s.agents.count(now.ns, w)
		if (na > r.Addresses || nu > r.UserAgents) && due(&s.fired, now.ns, w) {
			fired = true
			x = Detection{Rule: RuleTokenTheft, Time: now.t, ClientID: e.ClientID, Subject: e.Subject, Address: addr.String(), TokenID: e.TokenID,
				Evidence: map[string]any{"addresses": s.addrs.values(now.ns, w), "distinct_addresses": na,
					"distinct_user_agents": nu, "window": r.Window.String(), "route": e.Route}}
		}
	})
	if fired {
		d.raise(context.Background(), x, r.Rule)
	}
}

// presentedAfter is revoked_token_use.
func (d *Detector) presentedAfter(now instant, e Event) {
	r := &d.cfg.RevokedTokenUse
	if r.Disabled {
		return
	}
	w := int64(r.Window)
	limit := r.Revoked
	if e.Outcome == outcomeExpired {
		limit = r.Expired
	}
	var x Detection
	fired := false
	d.presented.update(e.TokenID, func(s *presentedState, _ bool) {
		if s.n == 0 || now.ns-s.start >= w {
			s.n, s.start = 0, now.ns
		}
		s.n++
		if s.n >= limit && !s.fired {
			s.fired, fired = true, true
			x = Detection{Rule: RuleRevokedTokenUse, Time: now.t, ClientID: e.ClientID, Subject: e.Subject,
				Address: parseAddress(e.Address).String(), TokenID: e.TokenID,
				Evidence: map[string]any{"outcome": e.Outcome, "presentations": s.n, "window": r.Window.String(), "route": e.Route}}
		}
	})
	if fired {
		d.raise(context.Background(), x, r.Rule)
	}
}

// invalidClient is invalid_client, fed client_auth_failed events.
func (d *Detector) invalidClient(ctx context.Context, e store.AuditEvent) {
	r := &d.cfg.InvalidClient
	if r.Disabled || e.ClientID == "" {
		return
	}
	now, w := d.timeOf(e.Time), int64(r.Window)
	var x Detection
	fired := false
	d.failures.update(e.ClientID, func(s *burstState, _ bool) {
		if n := s.c.add(now.ns, w); n >= r.Failures && due(&s.fired, now.ns, w) {
			fired = true
			x = Detection{Rule: RuleInvalidClient, Time: now.t, ClientID: e.ClientID, Address: parseAddress(e.Remote).String(),
				Evidence: map[string]any{"failures": n, "window": r.Window.String()}}
		}
	})
	if fired {
		d.raise(ctx, x, r.Rule)
	}
}

// signInFailed is credential_stuffing, fed login_failed and
// login_throttled events: one address failing many accounts, and one
// account failed from many addresses, each a detection of its own.
func (d *Detector) signInFailed(ctx context.Context, e store.AuditEvent) {
	r := &d.cfg.CredentialStuffing
	addr := parseAddress(e.Remote)
	account := e.Subject
	if account == "" {
		// A username that names no account: the trail's keyed digest.
		if h, _ := e.Detail["username_hash"].(string); h != "" {
			account = "username_hash:" + h
		}
	}
	if r.Disabled || addr.empty() || account == "" {
		return
	}
	now, w := d.timeOf(e.Time), int64(r.Window)
	where := addr.String()
	var xs [2]Detection
	fired := xs[:0]
	d.byAddress.update(where, func(s *spreadState, fresh bool) {
		if fresh {
			s.set = newDistinct(r.AccountsPerAddress)
		}
		if i := s.set.add(d.hash(account), now.ns, w); i >= 0 {
			s.set.keep(i, account)
		}
		if n := s.set.count(now.ns, w); n > r.AccountsPerAddress && due(&s.fired, now.ns, w) {
			fired = append(fired, Detection{Rule: RuleCredentialStuffing, Time: now.t, ClientID: e.ClientID, Address: where,
				Evidence: map[string]any{"pattern": "accounts_per_address", "distinct_accounts": n,
					"accounts": s.set.values(now.ns, w), "window": r.Window.String()}})
		}
	})
	d.byAccount.update(account, func(s *spreadState, fresh bool) {
		if fresh {
			s.set = newDistinct(r.AddressesPerAccount)
		}
		if i := s.set.add(addr.hash(d), now.ns, w); i >= 0 {
			s.set.keep(i, where)
		}
		if n := s.set.count(now.ns, w); n > r.AddressesPerAccount && due(&s.fired, now.ns, w) {
			fired = append(fired, Detection{Rule: RuleCredentialStuffing, Time: now.t, ClientID: e.ClientID, Subject: e.Subject, Address: where,
				Evidence: map[string]any{"pattern": "addresses_per_account", "account": account, "distinct_addresses": n,
					"addresses": s.set.values(now.ns, w), "window": r.Window.String()}})
		}
	})
	for _, x := range fired {
		d.raise(ctx, x, r.Rule)
	}
}

// refreshReuse is refresh_reuse: each reuse the server reports, once per
// client and user per window.
func (d *Detector) refreshReuse(ctx context.Context, e store.AuditEvent) {
	r := &d.cfg.RefreshReuse
	if r.Disabled {
		return
	}
	now := d.timeOf(e.Time)
	fired := false
	d.reuses.update(e.ClientID+"\x00"+e.Subject, func(s *burstState, _ bool) {
		fired = due(&s.fired, now.ns, int64(r.Window))
	})
	if !fired {
		return
	}
	ev := map[string]any{"window": r.Window.String()}
	if by, _ := e.Detail["presented_by"].(string); by != "" {
		ev["presented_by"] = by
	}
	d.raise(ctx, Detection{Rule: RuleRefreshReuse, Time: now.t, ClientID: e.ClientID, Subject: e.Subject,
		Address: parseAddress(e.Remote).String(), Evidence: ev}, r.Rule)
}
