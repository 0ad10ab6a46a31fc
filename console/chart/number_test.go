package chart

import (
	"math"
	"testing"
)

func TestNiceScale(t *testing.T) {
	tests := []struct {
		name           string
		max, top, step float64
	}{
		{"zero", 0, 1, 1},
		{"one", 1, 1, 1},
		{"small counts keep whole steps", 3, 3, 1},
		{"forty", 40, 40, 10},
		{"just over a step", 41, 60, 20},
		{"quarter steps", 90, 100, 25},
		{"huge", 9_876_543_210, 10e9, 2.5e9},
		{"largest count", math.MaxInt64, 1e19, 2.5e18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top, step := niceScale(tt.max)
			if top != tt.top || step != tt.step {
				t.Errorf("niceScale(%g) = %g, %g; want %g, %g", tt.max, top, step, tt.top, tt.step)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name             string
		v                int64
		compact, grouped string
	}{
		{"zero", 0, "0", "0"},
		{"hundreds", 999, "999", "999"},
		{"thousand", 1000, "1k", "1,000"},
		{"rounds up a unit", 999_960, "1M", "999,960"},
		{"one decimal", 1_234_567, "1.2M", "1,234,567"},
		{"giga", 9_876_543_210, "9.9G", "9,876,543,210"},
		{"negative", -2500, "-2.5k", "-2,500"},
		{"largest", math.MaxInt64, "9.2E", "9,223,372,036,854,775,807"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compact(float64(tt.v)); got != tt.compact {
				t.Errorf("compact(%d) = %q, want %q", tt.v, got, tt.compact)
			}
			if got := grouped(tt.v); got != tt.grouped {
				t.Errorf("grouped(%d) = %q, want %q", tt.v, got, tt.grouped)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short kept", "web", 5, "web"},
		{"exact kept", "abcde", 5, "abcde"},
		{"cut with an ellipsis", "abcdef", 5, "abcd…"},
		{"runes, not bytes", "ééééééé", 4, "ééé…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncate(tt.in, tt.n); got != tt.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
