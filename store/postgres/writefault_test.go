package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portcullis/portcullis/store"
)

// TestFaultClassify maps PostgreSQL's refusals for its state to write faults,
// through the wrapping a method adds, and leaves other errors as they are.
func TestFaultClassify(t *testing.T) {
	tests := []struct {
		name, code, cause string
	}{
		{"disk full", "53100", store.CauseDiskFull},
		{"read-only transaction", "25006", store.CauseReadOnly},
		{"lock timeout", "55P03", store.CauseLockTimeout},
		{"statement timeout", "57014", store.CauseLockTimeout},
		{"unique violation", "23505", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := &pgconn.PgError{Code: tt.code}
			err := fmt.Errorf("revoke token: %w", pe)
			fault(&err)
			f, ok := errors.AsType[*store.WriteFault](err)
			switch {
			case tt.cause == "" && (ok || !errors.Is(err, pe)):
				t.Fatalf("fault(%s) = %v, want it unchanged", tt.code, err)
			case tt.cause != "" && (!ok || f.Cause != tt.cause || !errors.Is(err, pe)):
				t.Fatalf("fault(%s) = %v, want a %s WriteFault wrapping it", tt.code, err, tt.cause)
			}
			again := err
			fault(&again)
			if again != err {
				t.Fatalf("fault twice = %v, want %v", again, err)
			}
		})
	}
	var none error
	fault(&none)
	if none != nil {
		t.Fatalf("fault(nil) = %v", none)
	}
}
