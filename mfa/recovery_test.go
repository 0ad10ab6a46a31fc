package mfa

import (
	"regexp"
	"testing"
)

func TestNewRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("got %d codes, %d hashes, want %d", len(codes), len(hashes), RecoveryCodeCount)
	}
	shape := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
	seen := map[string]bool{}
	for i, c := range codes {
		if !shape.MatchString(c) {
			t.Errorf("code %q is not xxxx-xxxx-xxxx base32", c)
		}
		if seen[c] {
			t.Errorf("code %q repeated", c)
		}
		seen[c] = true
		if hashes[i] == c || hashes[i] != HashRecoveryCode(c) {
			t.Errorf("hash %d is not the digest of its code", i)
		}
		if seen[hashes[i]] {
			t.Errorf("hash %d repeated", i)
		}
		seen[hashes[i]] = true
	}
}

func TestHashRecoveryCode(t *testing.T) {
	want := HashRecoveryCode("abcd-efgh-ijkl")
	tests := []struct {
		name, typed string
		same        bool
	}{
		{"as shown", "abcd-efgh-ijkl", true},
		{"upper case", "ABCD-EFGH-IJKL", true},
		{"no dashes", "abcdefghijkl", true},
		{"spaces", " abcd efgh ijkl ", true},
		{"mixed", "AbCd - eFgH-ijKL", true},
		{"one letter off", "abcd-efgh-ijkm", false},
		{"short", "abcd-efgh", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HashRecoveryCode(tt.typed) == want; got != tt.same {
				t.Fatalf("HashRecoveryCode(%q) matches = %v, want %v", tt.typed, got, tt.same)
			}
		})
	}
	if len(want) != 64 {
		t.Fatalf("digest %q is not hex SHA-256", want)
	}
}
