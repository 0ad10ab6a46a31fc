package main

import (
	"math/bits"
	"time"
)

// histogram counts latencies in microseconds: exactly below 128 µs, and
// with 64 buckets per power of two above (under 1.6% error), so that
// percentiles are cheap to record from every worker and to merge.
type histogram struct {
	counts [64 * 40]int64
	n      int64
}

// subBits is log2 of the buckets per power of two.
const subBits = 6

func bucketOf(us uint64) int {
	if us < 2<<subBits {
		return int(us)
	}
	shift := bits.Len64(us) - subBits - 1
	return shift<<subBits + int(us>>shift)
}

// lowerBound is the smallest value, in µs, that falls in bucket i.
func lowerBound(i int) uint64 {
	if i < 2<<subBits {
		return uint64(i)
	}
	shift := i>>subBits - 1
	m := uint64(i&(1<<subBits-1) + 1<<subBits)
	return m << shift
}

// record counts one latency.
func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	i := bucketOf(uint64(us))
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	h.counts[i]++
	h.n++
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// percentile is the latency at or below which a fraction q (0 < q ≤ 1) of
// the recorded ones fall, as its bucket's lower bound. Zero when empty.
func (h *histogram) percentile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(lowerBound(i)) * time.Microsecond
		}
	}
	return time.Duration(lowerBound(len(h.counts)-1)) * time.Microsecond
}
