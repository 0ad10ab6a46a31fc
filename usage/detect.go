package usage

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/store"
)

// Auditor records security events; authserver.Auditor has the same
// method, so audit.Recorder is one and Detector.Auditing wraps one.
type Auditor interface {
	Record(ctx context.Context, level slog.Level, e store.AuditEvent)
}

// Observer counts what anomaly detection does, for metrics. Its methods
// run on request paths and must not block.
type Observer interface {
	// Detected counts a detection of rule, one of RuleNames.
	Detected(rule string)
	// Alert counts an alert delivery outcome, one of AlertOutcomes.
	Alert(outcome string)
	// Responded counts an automatic response (RespondRevokeToken or
	// RespondSuspendClient) and whether it was carried out.
	Responded(response string, ok bool)
}

// Revoker revokes access tokens (store.Store does; with Redis, the store
// Redis decorates announces the revocation to guards at once).
type Revoker interface {
	RevokeToken(ctx context.Context, r store.Revocation) error
}

// Options are what a Detector works with besides its rules.
type Options struct {
	// Auditor receives the anomaly events and the records of responses.
	// Required. Give the recorder itself, not the Auditing wrapper.
	Auditor Auditor
	// Observer counts detections, alerts and responses. Nil means none.
	Observer Observer
	// Alerts sends each detection to the webhook; Close closes it. Nil
	// means no alerts.
	Alerts *Webhook
	// Revoker carries out revoke_token; Suspensions carries out
	// suspend_client. Each is required when a rule has that response.
	Revoker     Revoker
	Suspensions *Suspensions
	// TokenTTL is the access token lifetime: a revocation by revoke_token
	// is kept that long, since the detector does not know the token's exp.
	// Zero means 24h, the longest a token can live.
	TokenTTL time.Duration
	// Now is the detector's clock, which events without a Time and
	// responses follow; events with a Time (the clock of the part that
	// saw them, read once for both) follow theirs. Nil means time.Now.
	Now func() time.Time
	// Log receives failed responses. Nil means slog.Default().
	Log *slog.Logger
}

// responseQueue bounds the automatic responses waiting for the store; a
// detection whose response finds it full is recorded without it (and
// counted as a failed response).
const responseQueue = 256

// Detector runs the anomaly rules. It is a Sink for the events of the
// gateway, the guard and the token endpoint, and through Auditing it
// watches the authorization server's audit events. Its state is bounded
// (see Anomalies.MaxKeys and the package documentation). Use NewDetector.
type Detector struct {
	cfg  Rules
	opts Options
	seed maphash.Seed
	// Per-key state of each rule.
	tokens                 *table[theftState]
	issuedRates, callRates *table[rateState]
	rateAlpha              float64
	rateWarmup             int64 // windows
	failures               *table[burstState]
	byAddress              *table[spreadState]
	byAccount              *table[spreadState]
	presented              *table[presentedState]
	reuses                 *table[burstState]

	jobs chan response
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once // Close
}

// response is an automatic response waiting for the store.
type response struct {
	ctx        context.Context
	x          Detection
	suspendFor time.Duration
}

// NewDetector returns a detector of the rules of a, which must be valid
// (Anomalies.Validate), and starts its response worker; Close stops it.
func NewDetector(a Anomalies, o Options) (*Detector, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if o.Auditor == nil {
		return nil, errors.New("usage: a Detector needs an Auditor")
	}
	a = a.withDefaults()
	for _, s := range a.Rules.specs() {
		if s.rule.Disabled {
			continue
		}
		if s.rule.Response == RespondRevokeToken && o.Revoker == nil || s.rule.Response == RespondSuspendClient && o.Suspensions == nil {
			return nil, fmt.Errorf("usage: rule %s responds with %s, but the detector has no means to", s.name, s.rule.Response)
		}
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	n := a.MaxKeys
	d := &Detector{cfg: a.Rules, opts: o, seed: maphash.MakeSeed(),
		tokens: newTable[theftState](n), issuedRates: newTable[rateState](n), callRates: newTable[rateState](n), failures: newTable[burstState](n),
		byAddress: newTable[spreadState](n), byAccount: newTable[spreadState](n),
		presented: newTable[presentedState](n), reuses: newTable[burstState](n),
		jobs: make(chan response, responseQueue), stop: make(chan struct{})}
	cr := a.Rules.ClientRate
	d.rateAlpha = 1 - math.Exp(-float64(cr.Window)/float64(cr.Baseline))
	d.rateWarmup = int64((cr.Baseline + cr.Window - 1) / cr.Window)
	d.wg.Go(d.respondLoop)
	return d, nil
}

// Observe implements Sink.
func (d *Detector) Observe(e Event) {
	switch e.Kind {
	case APICall:
		d.apiCall(e)
	case TokenIssued:
		// A token for several APIs is one issuance.
		if !e.SameToken {
			d.rate(context.Background(), d.timeOf(e.Time), d.issuedRates, seriesIssued, e.ClientID, userEvent(e))
		}
	}
}

// Auditing returns an Auditor that records every event to next, unchanged,
// and feeds the detectors the ones they watch: client_auth_failed,
// login_failed, login_throttled and refresh_reuse. It sees each event
// before the recorder folds repeated refusals, so every one counts.
func (d *Detector) Auditing(next Auditor) Auditor { return auditing{d, next} }

type auditing struct {
	d    *Detector
	next Auditor
}

func (a auditing) Record(ctx context.Context, level slog.Level, e store.AuditEvent) {
	a.next.Record(ctx, level, e)
	switch e.Type {
	case audit.ClientAuthFailed:
		a.d.invalidClient(ctx, e)
	case audit.LoginFailed, audit.LoginThrottled:
		a.d.signInFailed(ctx, e)
	case audit.RefreshReuse:
		a.d.refreshReuse(ctx, e)
	}
}

// Close stops the response worker once the queued responses are done,
// then closes the webhook. Events that arrive after (a request cut at
// shutdown still running) are recorded and counted, but their responses
// find the queue unattended and are dropped, and so are their alerts.
func (d *Detector) Close() {
	d.once.Do(func() {
		close(d.stop)
		d.wg.Wait()
		if d.opts.Alerts != nil {
			d.opts.Alerts.Close()
		}
	})
}

// raise records, counts and sends a detection, and queues its response.
// It never blocks.
func (d *Detector) raise(ctx context.Context, x Detection, rule Rule) {
	x.ID, x.Response = newID(), rule.Response
	if d.opts.Observer != nil {
		d.opts.Observer.Detected(x.Rule)
	}
	d.opts.Auditor.Record(ctx, slog.LevelWarn, x.auditEvent())
	if d.opts.Alerts != nil {
		d.opts.Alerts.Send(x)
	}
	if x.Response == "" {
		return
	}
	select {
	case d.jobs <- response{ctx: context.WithoutCancel(ctx), x: x, suspendFor: rule.SuspendFor}:
	default:
		d.opts.Log.Error("anomaly response not carried out: too many waiting", "rule", x.Rule, "response", x.Response, "client_id", x.ClientID)
		d.responded(x.Response, false)
	}
}

func (d *Detector) responded(response string, ok bool) {
	if d.opts.Observer != nil {
		d.opts.Observer.Responded(response, ok)
	}
}

// instant is a reading of the detector's clock: the time detections
// carry, and nanoseconds, the unit of windows.
type instant struct {
	t  time.Time
	ns int64
}

func (d *Detector) now() instant {
	return at(d.opts.Now())
}

func at(t time.Time) instant { return instant{t, t.UnixNano()} }

// timeOf is the instant of an event: its Time, as the part that saw it
// read its clock, or, when it has none, the detector's clock.
func (d *Detector) timeOf(t time.Time) instant {
	if t.IsZero() {
		return d.now()
	}
	return at(t)
}

// hash is the key of a value in a distinct set. Its seed is random per
// process, so no one can choose values that collide.
func (d *Detector) hash(s string) uint64 { return maphash.String(d.seed, s) }

// address is a client address as rules count it: an IP address (a port
// ignored), IPv6 by its /64 since one subscriber is given a whole /64,
// or, for text that is no address, the text. It is parsed on request
// paths without allocating; its text is made only for evidence.
type address struct {
	ip  netip.Addr
	raw string
}

func parseAddress(s string) address {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return address{raw: s}
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return address{ip: a}
}

func (a address) empty() bool { return !a.ip.IsValid() && a.raw == "" }

// hash is the address's key in a distinct set.
func (a address) hash(d *Detector) uint64 {
	if !a.ip.IsValid() {
		return d.hash(a.raw)
	}
	b := a.ip.As16()
	return maphash.Bytes(d.seed, b[:])
}

// String is the address as evidence and the audit trail show it, in
// clientaddr.Key's form ("2001:db8:1:2::/64" for IPv6).
func (a address) String() string {
	if !a.ip.IsValid() {
		return a.raw
	}
	return clientaddr.Key(a.ip)
}
