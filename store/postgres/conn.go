package postgres

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connection defaults, each overridden by the parameter of the same name in
// the DSN (for example ?lock_timeout=500ms&connect_timeout=2). They bound
// how long one instance whose connection stalls (a network blackhole, a
// frozen process, a vanished host) can hold what others need: PostgreSQL
// enforces the first three itself, so they hold even when nothing more
// arrives from the stalled client.
var sessionDefaults = []struct{ name, value string }{
	// A writer waits at most this long for a lock another transaction holds
	// (the revocation writers' lock, a grant's row), then fails with
	// SQLSTATE 55P03 instead of queueing behind a stalled holder.
	{"lock_timeout", "2s"},
	// No statement runs longer; the client's own deadline (statementDeadline)
	// is derived from it.
	{"statement_timeout", "5s"},
	// A transaction whose client sends nothing for this long is ended by the
	// server, releasing its locks: this is what frees the revocation writers'
	// lock when its holder stalls between statements.
	{"idle_in_transaction_session_timeout", "10s"},
}

const (
	// defaultConnectTimeout bounds dialling and the start-up exchange of
	// each new connection, when the DSN has no connect_timeout.
	defaultConnectTimeout = 5 * time.Second
	// deadlineMargin is added to statement_timeout for the client's own
	// deadline, so that on a healthy network the server's cancellation,
	// which keeps the connection usable, comes first.
	deadlineMargin = time.Second
)

// keepAlive makes the kernel notice a peer that vanished without closing
// the connection within about 30 seconds instead of the hours the system
// defaults allow.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// poolConfig parses dsn and applies the connection defaults above where the
// DSN sets nothing of its own.
func poolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cc := cfg.ConnConfig
	// The guarantees of this store rest on READ COMMITTED: every statement
	// sees what was committed before it started, and a conditional UPDATE
	// that waited for a row lock re-checks its condition on the newest row
	// instead of failing. A server or role default of REPEATABLE READ or
	// SERIALIZABLE would turn lost races into serialization errors rather
	// than ErrReplay, and would let RevokeGrant miss tokens committed while
	// it waited for the grant, so the level is pinned per connection.
	cc.RuntimeParams["default_transaction_isolation"] = "read committed"
	for _, p := range sessionDefaults {
		if _, set := cc.RuntimeParams[p.name]; !set {
			cc.RuntimeParams[p.name] = p.value
		}
	}
	stmt, err := parseSetting(cc.RuntimeParams["statement_timeout"])
	if err != nil {
		return nil, fmt.Errorf("statement_timeout: %w", err)
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = defaultConnectTimeout
	}
	dialer := &net.Dialer{Timeout: cc.ConnectTimeout, KeepAliveConfig: keepAlive}
	cc.DialFunc = dialer.DialContext
	if stmt > 0 {
		cc.Tracer = statementDeadline(stmt + deadlineMargin)
	}
	return cfg, nil
}

// parseSetting reads a PostgreSQL time setting as the server does: an
// integer with an optional unit, milliseconds when there is none, 0 for no
// limit.
func parseSetting(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyz ")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a time setting such as 5s or 5000", s)
	}
	units := map[string]time.Duration{
		"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
	}
	unit, ok := units[strings.TrimSpace(s[len(num):])]
	if !ok {
		return 0, fmt.Errorf("%q has an unknown unit", s)
	}
	return time.Duration(n) * unit, nil
}

// statementDeadline gives every statement the store sends (in a transaction
// or not, begin and commit included) a client-side deadline. It is the one
// place where store calls are bounded: statement_timeout cannot help when
// the network, not the server, is what stalls, because the server's answer
// never arrives; with this deadline pgx gives up, closes the connection, and
// the call fails instead of hanging. A call is a handful of statements, each
// bounded, and the server ends the transaction of a client that went quiet
// (idle_in_transaction_session_timeout).
//
// pgx uses the context TraceQueryStart returns for the rest of the statement
// (for Query, until its rows are closed) and passes it to TraceQueryEnd.
type statementDeadline time.Duration

type cancelKey struct{}

// TraceQueryStart implements pgx.QueryTracer.
func (d statementDeadline) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d))
	return context.WithValue(ctx, cancelKey{}, cancel)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (statementDeadline) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// TraceBatchStart implements pgx.BatchTracer: a batch (AppendAudit sends
// one) gets the same deadline as a statement, since pgx calls no
// QueryTracer for it.
func (d statementDeadline) TraceBatchStart(ctx context.Context, c *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return d.TraceQueryStart(ctx, c, pgx.TraceQueryStartData{})
}

// TraceBatchQuery implements pgx.BatchTracer.
func (statementDeadline) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (d statementDeadline) TraceBatchEnd(ctx context.Context, c *pgx.Conn, _ pgx.TraceBatchEndData) {
	d.TraceQueryEnd(ctx, c, pgx.TraceQueryEndData{})
}
