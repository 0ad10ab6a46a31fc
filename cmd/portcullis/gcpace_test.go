package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// TestPaceGC: without GOGC and GOMEMLIMIT in the environment the long
// running commands set the collector's pace; with either, the operator's
// setting stands and nothing changes.
func TestPaceGC(t *testing.T) {
	restore := func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	for _, tc := range []struct {
		name      string
		env       map[string]string
		wantGC    int
		wantLimit int64
	}{
		{name: "nothing set", wantGC: gcPercent, wantLimit: memoryLimit},
		{name: "GOGC set", env: map[string]string{"GOGC": "100"}, wantGC: 100, wantLimit: math.MaxInt64},
		{name: "GOMEMLIMIT set", env: map[string]string{"GOMEMLIMIT": "1GiB"}, wantGC: 100, wantLimit: math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(restore)
			restore()
			for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
				t.Setenv(k, "")
				if v, ok := tc.env[k]; ok {
					t.Setenv(k, v)
				} else {
					unsetenv(t, k)
				}
			}
			paceGC()
			if gc := debug.SetGCPercent(100); gc != tc.wantGC {
				t.Fatalf("GC percent %d, want %d", gc, tc.wantGC)
			}
			if limit := debug.SetMemoryLimit(-1); limit != tc.wantLimit {
				t.Fatalf("memory limit %d, want %d", limit, tc.wantLimit)
			}
		})
	}
}

// unsetenv removes k for the test; t.Setenv has saved its value first.
func unsetenv(t *testing.T, k string) {
	t.Helper()
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}
