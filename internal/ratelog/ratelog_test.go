package ratelog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Unix(1700000000, 0)

// line is one written log line, as the test reads it back.
type line struct {
	Msg        string `json:"msg"`
	Suppressed int    `json:"suppressed"`
}

func TestLog(t *testing.T) {
	type entry struct {
		at    time.Duration // after t0
		cause string
	}
	tests := []struct {
		name    string
		entries []entry
		want    []line
	}{
		{"one line per interval", []entry{{0, "a"}, {time.Second, "a"}, {59 * time.Second, "a"}},
			[]line{{"a", 0}}},
		{"next line counts the ones left out", []entry{{0, "a"}, {time.Second, "a"}, {2 * time.Second, "a"}, {time.Minute, "a"}},
			[]line{{"a", 0}, {"a", 2}}},
		{"causes are separate", []entry{{0, "a"}, {0, "b"}, {time.Second, "a"}, {time.Second, "b"}},
			[]line{{"a", 0}, {"b", 0}}},
		{"a quiet interval starts afresh", []entry{{0, "a"}, {2 * time.Minute, "a"}, {3 * time.Minute, "a"}},
			[]line{{"a", 0}, {"a", 0}, {"a", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(slog.New(slog.NewJSONHandler(&buf, nil)), time.Minute)
			for _, e := range tt.entries {
				l.now = func() time.Time { return t0.Add(e.at) }
				l.Log(context.Background(), slog.LevelWarn, e.cause, e.cause)
			}
			var got []line
			for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var ln line
				if err := json.Unmarshal([]byte(s), &ln); err != nil {
					t.Fatalf("line %q: %v", s, err)
				}
				got = append(got, ln)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("lines = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLogConcurrent: many goroutines logging one cause at once write one
// line.
func TestLogConcurrent(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil)
	l := New(slog.New(h), time.Hour)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				l.Log(context.Background(), slog.LevelWarn, "down", "down")
			}
		})
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("%d lines, want 1:\n%s", n, buf.String())
	}
}

// TestLogCausesBounded: outside values passed as causes cannot grow the
// Logger without bound.
func TestLogCausesBounded(t *testing.T) {
	l := New(slog.New(slog.NewJSONHandler(io.Discard, nil)), time.Hour)
	for i := range 3 * maxCauses {
		l.Log(context.Background(), slog.LevelWarn, fmt.Sprint(i), "m")
	}
	if n := len(l.causes); n > maxCauses {
		t.Fatalf("%d causes remembered, want at most %d", n, maxCauses)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
