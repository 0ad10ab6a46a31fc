package authserver

import "testing"

func TestDescribe(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "code is required", "code is required"},
		{"quotes", `scope "x" is bad`, "scope 'x' is bad"},
		{"backslash and controls", "a\\b\nc", "a?b?c"},
		{"non-ASCII", "prompt é", "prompt ??"},
	}
	for _, tt := range tests {
		if got := describe(tt.in); got != tt.want {
			t.Errorf("%s: describe(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
