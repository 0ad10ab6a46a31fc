package store

import "testing"

func TestContainsPattern(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"plain", "ann", `%ann%`},
		{"percent", "50%", `%50\%%`},
		{"underscore", "a_b", `%a\_b%`},
		{"backslash", `a\b`, `%a\\b%`},
		{"all at once", `\%_`, `%\\\%\_%`},
		{"empty", "", `%%`},
	}
	for _, tt := range tests {
		if got := ContainsPattern(tt.text); got != tt.want {
			t.Errorf("%s: ContainsPattern(%q) = %q, want %q", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestPageLimit(t *testing.T) {
	tests := []struct {
		name        string
		limit, want int
	}{
		{"zero", 0, DefaultPageLimit},
		{"negative", -5, DefaultPageLimit},
		{"one", 1, 1},
		{"the most", MaxPageLimit, MaxPageLimit},
		{"too many", MaxPageLimit + 1, MaxPageLimit},
	}
	for _, tt := range tests {
		if got := PageLimit(tt.limit); got != tt.want {
			t.Errorf("%s: PageLimit(%d) = %d, want %d", tt.name, tt.limit, got, tt.want)
		}
	}
}
