package usage

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestCounter: the two-bucket estimate of a sliding window.
func TestCounter(t *testing.T) {
	w := int64(time.Minute)
	tests := []struct {
		name  string
		times []time.Duration // offsets of events from a window's start
		want  int             // the estimate at the last
	}{
		{"one bucket", []time.Duration{0, time.Second, 59 * time.Second}, 3},
		{"previous bucket weighted by what the window still covers", []time.Duration{0, 0, 0, 0, 90 * time.Second}, 1 + 4*30/60},
		{"previous bucket fully covered at the boundary", []time.Duration{0, 0, 0, 60 * time.Second}, 4},
		{"a bucket skipped forgets", []time.Duration{0, 0, 0, 150 * time.Second}, 1},
		{"a late event counts in the current bucket", []time.Duration{61 * time.Second, 59 * time.Second}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c counter
			base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
			got := 0
			for _, d := range tt.times {
				got = c.add(base+int64(d), w)
			}
			if got != tt.want {
				t.Fatalf("estimate %d, want %d", got, tt.want)
			}
		})
	}
}

// TestDistinct: a set of limit+1 slots counts distinct values within the
// window, forgets expired ones, and when full replaces the least recently
// seen.
func TestDistinct(t *testing.T) {
	w := int64(10 * time.Minute)
	m := int64(time.Minute)
	d := newDistinct(2)
	// Times are UnixNano, never zero, which marks a free slot.
	d0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	at := func(minutes int64) int64 { return d0 + minutes*m }
	for i, h := range []uint64{1, 2, 1, 2} {
		if slot := d.add(h, at(int64(i)), w); (slot >= 0) != (i < 2) {
			t.Fatalf("value %d at %d: slot %d", h, i, slot)
		}
	}
	if n := d.count(at(3), w); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	d.keep(d.add(3, at(4), w), "third")
	if n := d.count(at(4), w); n != 3 {
		t.Fatalf("count %d, want 3: more than the limit", n)
	}
	// Full: a fourth value takes the slot of the least recently seen (1,
	// last seen at 2m), so the count stays at the set's size.
	d.add(4, at(5), w)
	if n := d.count(at(5), w); n != 3 || d.add(1, at(5), w) < 0 {
		t.Fatalf("count %d; value 1 should have been forgotten", n)
	}
	if got := d.values(at(5), w); !slices.Equal(got, []string{"third"}) {
		t.Errorf("values %v", got)
	}
	if n := d.count(at(20), w); n != 0 {
		t.Errorf("count after the window %d, want 0", n)
	}
}

// TestTableEvictsLeastRecent: a full table forgets the key updated least
// recently, and never holds more than its limit.
func TestTableEvictsLeastRecent(t *testing.T) {
	tb := newTable[int](tableShards) // one key per shard
	keys := []string{}
	for i := 0; len(keys) < 2; i++ {
		k := fmt.Sprint("k", i)
		if tb.shardOf(k) == tb.shardOf("k0") {
			keys = append(keys, k)
		}
	}
	tb.update(keys[0], func(v *int, fresh bool) { *v = 1 })
	tb.update(keys[1], func(v *int, fresh bool) {
		if !fresh {
			t.Error("a new key is not fresh")
		}
	})
	tb.update(keys[0], func(v *int, fresh bool) {
		if !fresh || *v != 0 {
			t.Error("the evicted key's state survived")
		}
	})
	for i := range 1000 {
		tb.update(fmt.Sprint("x", i), func(*int, bool) {})
	}
	if n := tb.len(); n > tableShards {
		t.Errorf("%d keys, over the limit %d", n, tableShards)
	}
	long := string(make([]byte, 10*maxKeyBytes))
	tb.update(long, func(v *int, _ bool) { *v = 7 })
	tb.update(long[:maxKeyBytes], func(v *int, fresh bool) {
		if fresh || *v != 7 {
			t.Error("a long key is not kept cut to maxKeyBytes")
		}
	})
}

// TestStateHoldsNoCallerString: a table's key and a set's kept value are
// copies, so a key or value cut from a long string (a request body) does
// not keep the whole of it alive, which would make the memory bound
// depend on what callers send.
func TestStateHoldsNoCallerString(t *testing.T) {
	big := strings.Repeat("a", 1<<20)
	within := func(s string) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(big)))
		return p >= lo && p < lo+uintptr(len(big))
	}
	tb := newTable[int](tableShards)
	tb.update(big, func(*int, bool) {})
	tb.update(big[:10], func(*int, bool) {})
	for i := range tb.shards {
		for k := range tb.shards[i].m {
			if within(k) {
				t.Errorf("a table key of %d bytes shares the caller's string", len(k))
			}
		}
	}
	d := newDistinct(2)
	d.keep(d.add(1, 1, int64(time.Minute)), big)
	if within(d[0].v) {
		t.Error("a kept value shares the caller's string")
	}
}
