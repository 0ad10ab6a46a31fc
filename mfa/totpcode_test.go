package mfa_test

import (
	"testing"

	"github.com/portcullis/portcullis/mfa"
)

// TestIsTOTPCode: the one check of a typed code's form, which the sign-in
// and enrolment pages and TOTP itself use.
func TestIsTOTPCode(t *testing.T) {
	for _, tt := range []struct {
		name, code string
		want       bool
	}{
		{"six digits", "123456", true},
		{"with spaces", "123 456", true},
		{"five digits", "12345", false},
		{"seven digits", "1234567", false},
		{"a letter", "12345a", false},
		{"non-ASCII digit", "12345٣", false},
		{"empty", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mfa.IsTOTPCode(tt.code); got != tt.want {
				t.Errorf("IsTOTPCode(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}
