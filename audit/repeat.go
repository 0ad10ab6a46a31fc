package audit

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portcullis/portcullis/store"
)

// repeatable are the refusals: an outsider can make them at full rate (a
// wrong client secret, a bad password, a forged cookie), so identical ones
// are folded into one event per interval instead of one row each.
// Successes and single-use violations (refresh_reuse, code_replay) are
// never folded: each names a different token.
var repeatable = map[string]bool{
	AuthorizeRefused: true, RevokeRefused: true, IntrospectRefused: true, TokenRefused: true,
	RefreshWrongClient: true, LoginFailed: true, LoginThrottled: true, ClientAuthFailed: true, FactorFailed: true,
	CSRFFailed: true, SessionInvalid: true, SuspendedRefused: true,
}

// maxRepeatKeys bounds the distinct refusals followed in one interval;
// past it, new ones are recorded one by one (and meet the buffer's bound).
const maxRepeatKeys = 10000

// repeat is a refusal seen in the current interval.
type repeat struct {
	first       store.AuditEvent
	level       slog.Level
	count       int // identical events folded since first
	since, last time.Time
}

// repeats folds identical refusals. The first of a kind in an interval is
// recorded at once; the rest are counted and recorded as one event when
// the interval ends (take).
type repeats struct {
	mu sync.Mutex
	m  map[string]*repeat
}

func (rs *repeats) init() { rs.m = make(map[string]*repeat) }

// fold reports whether e repeats a refusal of the current interval, and
// if so counts it.
func (rs *repeats) fold(level slog.Level, e store.AuditEvent) bool {
	if !repeatable[e.Type] {
		return false
	}
	k := repeatKey(e)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if p, ok := rs.m[k]; ok {
		if p.count == 0 {
			p.since = e.Time
		}
		p.count++
		p.last = e.Time
		return true
	}
	if len(rs.m) < maxRepeatKeys {
		rs.m[k] = &repeat{first: e, level: level}
	}
	return false
}

// take ends the interval: it returns the folded events, each with the
// detail count (how many it stands for) and since (the time of the
// first), and forgets every refusal so the next of each kind is recorded
// at once.
func (rs *repeats) take() []folded {
	rs.mu.Lock()
	m := rs.m
	rs.m = make(map[string]*repeat, len(m))
	rs.mu.Unlock()
	var out []folded
	for _, p := range m {
		if p.count == 0 {
			continue
		}
		e := p.first
		e.Time, e.RequestID, e.UID = p.last, "", ""
		e.Detail = maps.Clone(p.first.Detail)
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["count"] = p.count
		e.Detail["since"] = p.since.UTC().Format(time.RFC3339Nano)
		out = append(out, folded{p.level, e})
	}
	return out
}

// folded is an event standing for repeated refusals, with its log level.
type folded struct {
	level slog.Level
	event store.AuditEvent
}

// repeatKey is what makes two refusals identical: type, subject, client,
// address and every detail; not the time or the request ID.
func repeatKey(e store.AuditEvent) string {
	var b strings.Builder
	for _, s := range [...]string{e.Type, e.Subject, e.ClientID, e.Remote} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
		b.WriteString(k)
		b.WriteByte('=')
		if s, ok := e.Detail[k].(string); ok { // what the server passes
			b.WriteString(s)
		} else {
			fmt.Fprint(&b, e.Detail[k])
		}
		b.WriteByte(0)
	}
	return b.String()
}
