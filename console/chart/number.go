package chart

import (
	"math"
	"strconv"
	"strings"
)

// niceScale is the top of a value axis starting at zero and its step: the
// step is 1, 2, 2.5 or 5 times a power of ten, at least 1 (the values are
// counts), chosen for about four intervals, and top is the first multiple
// of the step at or above max.
func niceScale(max float64) (top, step float64) {
	if max <= 0 {
		return 1, 1
	}
	raw := max / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	step = math.Max(step, 1)
	return math.Ceil(max/step) * step, step
}

// compactUnits are the SI prefixes compact uses, by powers of 1000.
var compactUnits = []string{"", "k", "M", "G", "T", "P", "E"}

// compact formats a count briefly for an axis or a bar's end: 950, 1.2k,
// 25k, 7.5M; the tables give the exact numbers.
func compact(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	u := 0
	for v >= 999.95 && u < len(compactUnits)-1 {
		v /= 1000
		u++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if u == 0 {
		s = strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	s = strings.TrimSuffix(s, ".0") + compactUnits[u]
	if neg {
		return "-" + s
	}
	return s
}

// grouped formats a count exactly, its digits grouped by thousands with
// commas: 1,234,567.
func grouped(v int64) string {
	s := strconv.FormatInt(v, 10)
	sign := ""
	if v < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}

// coord formats an SVG coordinate with at most two decimals, so that the
// output is stable and short.
func coord(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// truncate shortens s to at most n runes, ending it with an ellipsis when
// it was cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
