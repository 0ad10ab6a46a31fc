// Package audit owns the security audit trail: it logs each event at once
// and stores it in the background, in batches, so that recording never adds
// a database write to a request's path. Events still queued when the
// process dies without a graceful stop (SIGKILL, power loss) are lost; the
// log has them.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

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
)

// Writer is the part of the store the recorder writes to.
type Writer interface {
	AppendAudit(ctx context.Context, events []store.AuditEvent) error
}

// Recorder records events. Its zero value is not usable; use New.
type Recorder struct {
	w       Writer
	log     *slog.Logger
	queue   chan store.AuditEvent
	done    chan struct{}
	once    sync.Once
	dropped func()
}

const (
	queueSize  = 10000
	batchSize  = 200
	flushEvery = 200 * time.Millisecond
)

// DefaultRetention is how long stored events are kept unless configured
// otherwise (audit_retention): older ones are deleted by the server's
// periodic sweep (store.Store.DeleteAuditBefore), so the trail does not
// grow without bound.
const DefaultRetention = 90 * 24 * time.Hour

// New starts a recorder writing to w. dropped, if not nil, is called for
// each event lost because the queue was full (the store is too slow or
// down); the event is still logged.
func New(w Writer, log *slog.Logger, dropped func()) *Recorder {
	r := &Recorder{w: w, log: log, queue: make(chan store.AuditEvent, queueSize), done: make(chan struct{}), dropped: dropped}
	go r.run()
	return r
}

// Record logs the event and queues it for the store. level is the log
// level: Warn for refusals and attacks, Info for the rest.
func (r *Recorder) Record(ctx context.Context, level slog.Level, e store.AuditEvent) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.RequestID == "" {
		e.RequestID = requestid.From(ctx)
	}
	attrs := []any{"event", e.Type}
	for k, v := range map[string]string{"sub": e.Subject, "client_id": e.ClientID, "remote": e.Remote} {
		if v != "" {
			attrs = append(attrs, k, v)
		}
	}
	for k, v := range e.Detail {
		attrs = append(attrs, k, v)
	}
	r.log.Log(ctx, level, e.Type, attrs...)
	select {
	case r.queue <- e:
	default:
		if r.dropped != nil {
			r.dropped()
		}
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	var batch []store.AuditEvent
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.w.AppendAudit(ctx, batch); err != nil {
			r.log.Error("store audit events", "events", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-r.queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= batchSize {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// Close stores what is queued and stops. Record must not be called after.
func (r *Recorder) Close() {
	r.once.Do(func() { close(r.queue) })
	<-r.done
}
