package dpop_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
)

func TestNonces(t *testing.T) {
	key := bytes.Repeat([]byte{7}, dpop.MinNonceKeySize)
	const window = time.Minute
	n, err := dpop.NewNonces(key, window)
	if err != nil {
		t.Fatal(err)
	}
	// Another instance with the same key, and one with another.
	twin, _ := dpop.NewNonces(key, window)
	stranger, _ := dpop.NewNonces(bytes.Repeat([]byte{8}, dpop.MinNonceKeySize), window)
	start := time.Unix(1_800_000_000, 0).Truncate(window)
	issued := n.Issue(start.Add(10 * time.Second))
	for _, tc := range []struct {
		name  string
		by    *dpop.Nonces
		nonce string
		at    time.Time
		valid bool
	}{
		{"same window", n, issued, start.Add(50 * time.Second), true},
		{"same window, at another instance", twin, issued, start.Add(30 * time.Second), true},
		{"next window", n, issued, start.Add(window + 59*time.Second), true},
		{"two windows later", n, issued, start.Add(2 * window), false},
		{"before it was issued", n, issued, start.Add(-time.Second), false},
		{"at an instance with another key", stranger, issued, start.Add(10 * time.Second), false},
		{"empty", n, "", start, false},
		{"garbage", n, "not-a-nonce", start, false},
		{"one character changed", n, issued[:len(issued)-1] + flipChar(issued[len(issued)-1]), start.Add(10 * time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.by.Valid(tc.nonce, tc.at); got != tc.valid {
				t.Errorf("Valid = %v, want %v", got, tc.valid)
			}
		})
	}
	if again := twin.Issue(start.Add(59 * time.Second)); again != issued {
		t.Errorf("another instance issued %q in the same window, not %q", again, issued)
	}
	if next := n.Issue(start.Add(window)); next == issued {
		t.Error("the next window's nonce is the same")
	}
	// The cached latest nonce must not make an older window's valid again.
	if n.Valid(issued, start.Add(3*window)) {
		t.Error("an old nonce is valid after the cache moved on")
	}
}

func flipChar(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestNewNoncesRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		key    []byte
		window time.Duration
	}{
		{"short key", make([]byte, dpop.MinNonceKeySize-1), 0},
		{"no key", nil, 0},
		{"negative window", make([]byte, dpop.MinNonceKeySize), -time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := dpop.NewNonces(tc.key, tc.window); err == nil {
				t.Fatal("built")
			}
		})
	}
}

func TestNoncesDefaultWindow(t *testing.T) {
	n, err := dpop.NewNonces(make([]byte, dpop.MinNonceKeySize), 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_800_000_000, 0).Truncate(dpop.DefaultNonceWindow)
	nonce := n.Issue(start)
	if !n.Valid(nonce, start.Add(2*dpop.DefaultNonceWindow-time.Second)) || n.Valid(nonce, start.Add(2*dpop.DefaultNonceWindow)) {
		t.Errorf("a nonce is not valid for exactly two windows of %v", dpop.DefaultNonceWindow)
	}
}
