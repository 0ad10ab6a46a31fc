package usage

import "strings"

// Windows over a detector's clock, in nanoseconds. Both structures are of
// fixed size once made, whatever arrives: that, with table's bound on
// keys, is what bounds the detectors' memory.

// maxDistinct bounds the distinct values a set follows; the thresholds
// that count distinct values are at most this.
const maxDistinct = 32

// maxValueBytes bounds the bytes of a value a set keeps for evidence (an
// address).
const maxValueBytes = 64

// counter estimates the events of the last window from two fixed buckets,
// the current and the previous, the previous weighted by how much of it
// the sliding window still covers: exact for evenly spread events, never
// more than the true count plus the previous bucket's, and two integers
// per key.
type counter struct {
	start     int64 // the current bucket's start, a multiple of the window
	cur, prev int
}

// add counts an event at now and returns the estimate for the window
// ending at now. A time before the current bucket (clocks of other
// goroutines lag a little) counts in it.
func (c *counter) add(now, window int64) int {
	b := now - now%window
	switch {
	case b == c.start+window:
		c.prev, c.cur, c.start = c.cur, 0, b
	case b > c.start:
		c.prev, c.cur, c.start = 0, 0, b
	}
	c.cur++
	left := min(max(window-(now-c.start), 0), window)
	return c.cur + int(int64(c.prev)*left/window)
}

// seen is one value of a distinct set: its hash, when it was last seen
// (zero: the slot is free) and, for evidence, the value itself if kept.
type seen struct {
	h  uint64
	at int64
	v  string
}

// distinct counts the distinct values seen within a window, up to its
// length: with limit+1 slots, reaching limit+1 is "more than limit",
// which is all a rule needs to know. A new value takes a free or expired
// slot, else the least recently seen one.
type distinct []seen

func newDistinct(limit int) distinct { return make(distinct, limit+1) }

// add records h at now and returns the index of the slot it took if it
// is new within the window (the caller may keep a value there for
// evidence), or -1.
func (d distinct) add(h uint64, now, window int64) int {
	match, free, oldest := -1, -1, -1
	for i := range d {
		s := &d[i]
		if s.at != 0 && now-s.at >= window {
			*s = seen{}
		}
		switch {
		case s.at == 0:
			if free < 0 {
				free = i
			}
		case s.h == h:
			match = i
		case oldest < 0 || s.at < d[oldest].at:
			oldest = i
		}
	}
	if match >= 0 {
		d[match].at = max(d[match].at, now)
		return -1
	}
	slot := free
	if slot < 0 {
		slot = oldest
	}
	d[slot] = seen{h: h, at: now}
	return slot
}

// keep records a copy of v, cut to maxValueBytes, as the value of slot
// i: a copy, so that the slot never holds on to a longer string v is part
// of.
func (d distinct) keep(i int, v string) {
	if len(v) > maxValueBytes {
		v = v[:maxValueBytes]
	}
	d[i].v = strings.Clone(v)
}

// count returns how many values were seen within the window ending at
// now.
func (d distinct) count(now, window int64) int {
	n := 0
	for _, s := range d {
		if s.at != 0 && now-s.at < window {
			n++
		}
	}
	return n
}

// values returns the kept values seen within the window ending at now.
func (d distinct) values(now, window int64) []string {
	out := []string{}
	for _, s := range d {
		if s.at != 0 && now-s.at < window && s.v != "" {
			out = append(out, s.v)
		}
	}
	return out
}
