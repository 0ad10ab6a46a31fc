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

// apiCall feeds an APICall event to client_rate, and, if it names a
// verified token, to token_theft or, refused as revoked or expired, to
// revoked_token_use.
func (d *Detector) apiCall(e Event) {
	d.rate(context.Background(), d.callRates, seriesCalls, e.ClientID)
	switch {
	case e.TokenID == "" || e.Outcome == outcomeInvalidToken:
	case e.Outcome == outcomeRevoked || e.Outcome == outcomeExpired:
		d.presentedAfter(e)
	default:
		d.theft(e)
	}
}

// theft is token_theft.
func (d *Detector) theft(e Event) {
	r := &d.cfg.TokenTheft
	if r.Disabled {
		return
	}
	t, now := d.now()
	w := int64(r.Window)
	addr := addressKey(e.Address)
	var x Detection
	fired := false
	d.tokens.update(e.TokenID, func(s *theftState, fresh bool) {
		if fresh {
			s.addrs, s.agents = newDistinct(r.Addresses), newDistinct(r.UserAgents)
		}
		if addr != "" {
			s.addrs.add(d.hash(addr), addr, now, w)
		}
		if e.UserAgent != "" {
			s.agents.add(d.hash(e.UserAgent), "", now, w)
		}
		na, nu := s.addrs.count(now, w), s.agents.count(now, w)
		if (na > r.Addresses || nu > r.UserAgents) && due(&s.fired, now, w) {
			fired = true
			x = Detection{Rule: RuleTokenTheft, Time: t, ClientID: e.ClientID, Subject: e.Subject, Address: addr, TokenID: e.TokenID,
				Evidence: map[string]any{"addresses": s.addrs.values(now, w), "distinct_addresses": na,
					"distinct_user_agents": nu, "window": r.Window.String(), "route": e.Route}}
		}
	})
	if fired {
		d.raise(context.Background(), x, r.Rule)
	}
}

// presentedAfter is revoked_token_use.
func (d *Detector) presentedAfter(e Event) {
	r := &d.cfg.RevokedTokenUse
	if r.Disabled {
		return
	}
	t, now := d.now()
	w := int64(r.Window)
	limit := r.Revoked
	if e.Outcome == outcomeExpired {
		limit = r.Expired
	}
	var x Detection
	fired := false
	d.presented.update(e.TokenID, func(s *presentedState, _ bool) {
		if s.n == 0 || now-s.start >= w {
			s.n, s.start = 0, now
		}
		s.n++
		if s.n >= limit && !s.fired {
			s.fired, fired = true, true
			x = Detection{Rule: RuleRevokedTokenUse, Time: t, ClientID: e.ClientID, Subject: e.Subject, Address: addressKey(e.Address), TokenID: e.TokenID,
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
	t, now := d.now()
	w := int64(r.Window)
	var x Detection
	fired := false
	d.failures.update(e.ClientID, func(s *burstState, _ bool) {
		if n := s.c.add(now, w); n >= r.Failures && due(&s.fired, now, w) {
			fired = true
			x = Detection{Rule: RuleInvalidClient, Time: t, ClientID: e.ClientID, Address: addressKey(e.Remote),
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
	addr := addressKey(e.Remote)
	account := e.Subject
	if account == "" {
		// A username that names no account: the trail's keyed digest.
		if h, _ := e.Detail["username_hash"].(string); h != "" {
			account = "username_hash:" + h
		}
	}
	if r.Disabled || addr == "" || account == "" {
		return
	}
	t, now := d.now()
	w := int64(r.Window)
	var xs [2]Detection
	fired := xs[:0]
	d.byAddress.update(addr, func(s *spreadState, fresh bool) {
		if fresh {
			s.set = newDistinct(r.AccountsPerAddress)
		}
		s.set.add(d.hash(account), account, now, w)
		if n := s.set.count(now, w); n > r.AccountsPerAddress && due(&s.fired, now, w) {
			fired = append(fired, Detection{Rule: RuleCredentialStuffing, Time: t, ClientID: e.ClientID, Address: addr,
				Evidence: map[string]any{"pattern": "accounts_per_address", "distinct_accounts": n,
					"accounts": s.set.values(now, w), "window": r.Window.String()}})
		}
	})
	d.byAccount.update(account, func(s *spreadState, fresh bool) {
		if fresh {
			s.set = newDistinct(r.AddressesPerAccount)
		}
		s.set.add(d.hash(addr), addr, now, w)
		if n := s.set.count(now, w); n > r.AddressesPerAccount && due(&s.fired, now, w) {
			fired = append(fired, Detection{Rule: RuleCredentialStuffing, Time: t, ClientID: e.ClientID, Subject: e.Subject, Address: addr,
				Evidence: map[string]any{"pattern": "addresses_per_account", "account": account, "distinct_addresses": n,
					"addresses": s.set.values(now, w), "window": r.Window.String()}})
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
	t, now := d.now()
	fired := false
	d.reuses.update(e.ClientID+"\x00"+e.Subject, func(s *burstState, _ bool) {
		fired = due(&s.fired, now, int64(r.Window))
	})
	if !fired {
		return
	}
	ev := map[string]any{"window": r.Window.String()}
	if by, _ := e.Detail["presented_by"].(string); by != "" {
		ev["presented_by"] = by
	}
	d.raise(ctx, Detection{Rule: RuleRefreshReuse, Time: t, ClientID: e.ClientID, Subject: e.Subject, Address: addressKey(e.Remote), Evidence: ev}, r.Rule)
}
