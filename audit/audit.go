// Package audit owns the security audit trail: it logs each event at once
// and stores it in the background, in batches, so that recording never adds
// a database write to a request's path.
//
// Durability: a batch the store refuses is retried with capped,
// jittered exponential backoff while new events wait in a bounded buffer;
// events carry a unique ID so a retried batch is stored once. Every event
// that is not stored (the buffer was full, the store refused a batch for
// too long, shutdown ran out of time) is counted by reason and summarised
// in the log once per interval. Repeated identical refusals are folded
// into one event with a count per interval, so a flood of wrong secrets
// costs a few rows, not one each. Events still buffered when the process
// dies without a graceful stop (SIGKILL, power loss) are lost; the log has
// them.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/backoff"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
)

// Event types.
const (
	AuthorizeRefused   = "authorize_refused"
	CodeIssued         = "code_issued"
	ConsentDenied      = "consent_denied"
	RefreshWrongClient = "refresh_wrong_client"
	RevokeRefused      = "revoke_refused"
	IntrospectRefused  = "introspect_refused"
	TokenIssued        = "token_issued"
	TokenRevoked       = "token_revoked"
	TokenRefused       = "token_refused"
	RefreshReuse       = "refresh_reuse"
	RefreshRetry       = "refresh_retry"
	CodeReplay         = "code_replay"
	LoginSucceeded     = "login_succeeded"
	LoginFailed        = "login_failed"
	LoginThrottled     = "login_throttled"
	ClientAuthFailed   = "client_auth_failed"
	CSRFFailed         = "csrf_failed"
	SessionInvalid     = "session_cookie_invalid"
	Logout             = "logout"
	KeyRotated         = "key_rotated"
	KeysRewrapped      = "keys_rewrapped"
	ConfigChanged      = "config_changed"
	GrantsRevoked      = "grants_revoked"
	UserDisabled       = "user_disabled"
	UserEnabled        = "user_enabled"
	// FactorsReset records an administrator's removal of every factor
	// and recovery code of a user (the management API or the CLI), so
	// that they enrol anew: how many factors there were.
	FactorsReset = "factors_reset"
	// RolesChanged records a user's console roles changed through the
	// management API or the CLI: the roles before and after.
	RolesChanged = "roles_changed"
	// Anomaly is a detection of package usage: the rule, the subject,
	// the client and the evidence.
	Anomaly = "anomaly"
	// ClientSuspended and ClientResumed record a client's suspension,
	// by anomaly detection or an operator, and its early end.
	ClientSuspended = "client_suspended"
	ClientResumed   = "client_resumed"
	// SessionEnded records a user's sign-on session ended by an
	// administrator (the management API) or by the user (the account
	// page, by=user): its sid and the online grants revoked with it.
	SessionEnded = "session_ended"
	// LinkRemoved records a user's link to an upstream identity removed
	// through the management API or the CLI: the connector and the
	// upstream subject; that identity's next sign-in no longer finds the
	// user by the link.
	LinkRemoved = "link_removed"
	// SuspendedRefused is a suspended client refused at authentication.
	SuspendedRefused = "client_suspended_refused"
	// FactorAdded, FactorRenamed and FactorRemoved record a user's
	// change to their factors on the account page: the factor's ID and
	// kind, never its secret.
	FactorAdded   = "factor_added"
	FactorRenamed = "factor_renamed"
	FactorRemoved = "factor_removed"
	// RecoveryCodesCreated records new recovery codes made for a user
	// (replacing any earlier ones): how many, never the codes.
	RecoveryCodesCreated = "recovery_codes_created"
	// FactorUsed records a factor proved at sign-in (kind, factor ID),
	// RecoveryCodeUsed a recovery code spent instead, FactorFailed a
	// factor refused (kind, reason); never the code or the response.
	FactorUsed       = "factor_used"
	RecoveryCodeUsed = "recovery_code_used"
	FactorFailed     = "factor_failed"
	// FederatedLogin records a sign-in through a connector (connector,
	// outcome: linked, linked_by_email, created); FederatedLoginFailed
	// one refused or failed (connector, reason; never a token or code);
	// AccountLinked an upstream identity linked to an existing user by
	// its verified email address.
	FederatedLogin       = "federated_login"
	FederatedLoginFailed = "federated_login_failed"
	AccountLinked        = "account_linked"
)

// Writer is the part of the store the recorder writes to.
type Writer interface {
	AppendAudit(ctx context.Context, events []store.AuditEvent) error
}

// Options tune a Recorder. Every zero value picks the default named.
type Options struct {
	// Buffer bounds the events waiting for the store, in events (plus
	// at most one batch being written); zero means DefaultBuffer. When it
	// is full a new event is dropped (DropBufferFull), not an old one:
	// the trail keeps the start of an incident, which explains the rest,
	// and the log has every event anyway.
	Buffer int
	// Interval is the window over which repeated refusals are folded
	// into one event and the period of the dropped-events log line; zero
	// means DefaultInterval.
	Interval time.Duration
	// ShutdownTimeout bounds how long Close keeps trying to store what
	// is buffered; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Dropped, if not nil, is told of every event not stored: n events
	// for reason, one of DropReasons. It is called on request paths, so
	// it must be cheap and must not block.
	Dropped func(reason string, n int)
}

// Defaults of Options.
const (
	DefaultBuffer          = 20000
	DefaultInterval        = 10 * time.Second
	DefaultShutdownTimeout = 5 * time.Second
)

// DefaultRetention is how long stored events are kept unless configured
// otherwise (audit_retention): older ones are deleted by the server's
// periodic sweep (store.Store.DeleteAuditBefore), so the trail does not
// grow without bound.
const DefaultRetention = 90 * 24 * time.Hour

// Recorder records events. Its zero value is not usable; use New.
type Recorder struct {
	w     Writer
	log   *slog.Logger
	opts  Options
	queue *queue
	stop  chan struct{}
	done  chan struct{}
	// ctx is the context of store writes: Close cancels it when the
	// shutdown timeout passes, which also ends a write in flight.
	ctx     context.Context
	cancel  context.CancelFunc
	once    sync.Once
	repeats repeats
	drops   drops
	retry   backoff.Schedule
	// uidPrefix is random per recorder and seq counts its events: each
	// event's UID is unique across processes and restarts.
	uidPrefix string
	seq       uint64
}

// New starts a recorder writing to w.
func New(w Writer, log *slog.Logger, o Options) *Recorder {
	r := newRecorder(w, log, o)
	go r.run()
	return r
}

// newRecorder builds a recorder without starting it, so that tests can
// shorten its backoff first.
func newRecorder(w Writer, log *slog.Logger, o Options) *Recorder {
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	var p [8]byte
	_, _ = rand.Read(p[:]) // never fails (crypto/rand)
	r := &Recorder{w: w, log: log, opts: o, queue: newQueue(o.Buffer),
		stop: make(chan struct{}), done: make(chan struct{}), retry: backoff.StoreWrites,
		uidPrefix: hex.EncodeToString(p[:]) + "-"}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.repeats.init()
	r.drops.report = o.Dropped
	return r
}

// Record logs the event and queues it for the store. level is the log
// level: Warn for refusals and attacks, Info for the rest. A refusal
// identical to one recorded in the current interval is only counted; it is
// logged and stored, with its count, when the interval ends.
func (r *Recorder) Record(ctx context.Context, level slog.Level, e store.AuditEvent) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.RequestID == "" {
		e.RequestID = requestid.From(ctx)
	}
	if r.repeats.fold(level, e) {
		return
	}
	r.logEvent(ctx, level, e)
	r.enqueue(e)
}

// logEvent writes e to the log.
func (r *Recorder) logEvent(ctx context.Context, level slog.Level, e store.AuditEvent) {
	if !r.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]any, 0, 8+2*len(e.Detail))
	attrs = append(attrs, "event", e.Type)
	for _, kv := range [...][2]string{{"sub", e.Subject}, {"client_id", e.ClientID}, {"remote", e.Remote}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	for k, v := range e.Detail {
		attrs = append(attrs, k, v)
	}
	r.log.Log(ctx, level, e.Type, attrs...)
}

// enqueue hands e to the writer, or drops it when the buffer is full.
func (r *Recorder) enqueue(e store.AuditEvent) {
	if !r.queue.push(e) {
		r.drops.add(DropBufferFull, 1)
	}
}

// Close stores what is buffered, trying for at most the shutdown timeout,
// counts what it could not store (DropShutdown) and stops. Record must not
// be called after.
func (r *Recorder) Close() {
	r.once.Do(func() {
		t := time.AfterFunc(r.opts.ShutdownTimeout, r.cancel)
		defer t.Stop()
		close(r.stop)
		<-r.done
		r.cancel()
	})
	<-r.done
}
