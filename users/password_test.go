package users

import (
	"strings"
	"testing"
)

// TestDummyHash: the hash an unknown username is verified against costs
// what a stored one costs (same algorithm and parameters, so the same
// time), and no password matches it, not even the one its predecessor
// was derived from.
func TestDummyHash(t *testing.T) {
	stored := strings.Split(HashPassword("correct horse"), "$")
	dummy := strings.Split(dummyHash, "$")
	if len(dummy) != len(stored) {
		t.Fatalf("dummy hash %q has %d fields, a stored one %d", dummyHash, len(dummy), len(stored))
	}
	for i, name := range []string{"", "algorithm", "version", "parameters"} {
		if dummy[i] != stored[i] {
			t.Errorf("%s: dummy %q, stored %q", name, dummy[i], stored[i])
		}
	}
	if len(dummy[4]) != len(stored[4]) || len(dummy[5]) != len(stored[5]) {
		t.Errorf("salt or key length differs: dummy %q, stored %q", dummyHash, strings.Join(stored, "$"))
	}
	for _, pw := range []string{"", "portcullis-no-such-user", "correct horse"} {
		ok, err := VerifyPassword(dummyHash, pw)
		if err != nil || ok {
			t.Errorf("VerifyPassword(dummyHash, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}
