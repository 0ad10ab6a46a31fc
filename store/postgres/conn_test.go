package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPoolConfig(t *testing.T) {
	base := "postgres://u@127.0.0.1:5432/db"
	for _, tc := range []struct {
		name     string
		dsn      string
		params   map[string]string
		connect  time.Duration
		deadline time.Duration // 0: no statement deadline
		wantErr  bool
	}{
		{
			name:     "defaults",
			dsn:      base,
			params:   map[string]string{"lock_timeout": "2s", "statement_timeout": "5s", "idle_in_transaction_session_timeout": "10s"},
			connect:  defaultConnectTimeout,
			deadline: 5*time.Second + deadlineMargin,
		},
		{
			name:     "DSN overrides",
			dsn:      base + "?lock_timeout=500ms&statement_timeout=1min&idle_in_transaction_session_timeout=3000&connect_timeout=2",
			params:   map[string]string{"lock_timeout": "500ms", "statement_timeout": "1min", "idle_in_transaction_session_timeout": "3000"},
			connect:  2 * time.Second,
			deadline: time.Minute + deadlineMargin,
		},
		{
			name:    "statement timeout off",
			dsn:     base + "?statement_timeout=0",
			params:  map[string]string{"statement_timeout": "0"},
			connect: defaultConnectTimeout,
		},
		{name: "bad statement timeout", dsn: base + "?statement_timeout=soon", wantErr: true},
		{name: "unknown unit", dsn: base + "?statement_timeout=5y", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := poolConfig(tc.dsn)
			if tc.wantErr {
				if err == nil {
					t.Fatal("poolConfig accepted it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cc := cfg.ConnConfig
			for k, v := range tc.params {
				if cc.RuntimeParams[k] != v {
					t.Errorf("%s = %q, want %q", k, cc.RuntimeParams[k], v)
				}
			}
			if cc.ConnectTimeout != tc.connect {
				t.Errorf("ConnectTimeout = %s, want %s", cc.ConnectTimeout, tc.connect)
			}
			got, _ := cc.Tracer.(statementDeadline)
			if time.Duration(got) != tc.deadline {
				t.Errorf("statement deadline = %s, want %s", time.Duration(got), tc.deadline)
			}
		})
	}
}

// TestStatementDeadlineCoversBatches: pgx calls only a BatchTracer for
// SendBatch (AppendAudit's path), so the deadline must come from it too.
func TestStatementDeadlineCoversBatches(t *testing.T) {
	var tracer any = statementDeadline(2 * time.Second)
	bt, ok := tracer.(pgx.BatchTracer)
	if !ok {
		t.Fatal("statementDeadline is not a pgx.BatchTracer: batches run without a deadline")
	}
	ctx := bt.TraceBatchStart(context.Background(), nil, pgx.TraceBatchStartData{})
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > 2*time.Second {
		t.Fatalf("batch context deadline %v, %v; want within 2s", dl, ok)
	}
	bt.TraceBatchEnd(ctx, nil, pgx.TraceBatchEndData{})
	if ctx.Err() == nil {
		t.Fatal("TraceBatchEnd left the batch's context running")
	}
}
