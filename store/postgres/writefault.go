package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portcullis/portcullis/store"
)

// fault classifies the error *errp a Store method is about to return.
// Every method that talks to the database defers it, so that the faults
// requests meet reach readiness as the probe's do, and callers can tell a
// busy database (retry soon) from a failure.
func fault(errp *error) {
	if *errp != nil {
		*errp = classify(*errp)
	}
}

// classify turns PostgreSQL's refusals for its state into a
// *store.WriteFault: disk_full (53100), read_only_sql_transaction (25006,
// a standby or default_transaction_read_only), lock_not_available (55P03,
// lock_timeout) and query_canceled (57014), which the server sends when
// statement_timeout ends a statement; the store's own deadlines and a
// caller's cancellation close the connection instead, so they do not end
// up here.
func classify(err error) error {
	if errors.Is(err, store.ErrNotWritable) {
		return err
	}
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return err
	}
	switch pe.Code {
	case "53100":
		return &store.WriteFault{Cause: store.CauseDiskFull, Err: err}
	case "25006":
		return &store.WriteFault{Cause: store.CauseReadOnly, Err: err}
	case "55P03", "57014":
		return &store.WriteFault{Cause: store.CauseLockTimeout, Err: err}
	}
	return err
}
