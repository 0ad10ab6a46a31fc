package mfa

import (
	"bytes"
	"errors"
	"testing"
)

// testSealer is a Sealer under a fixed secret.
func testSealer(t testing.TB) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSealerRefusesShortSecret(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes) succeeded", n)
		}
	}
}

func TestSealer(t *testing.T) {
	s := testSealer(t)
	other, err := NewSealer(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("JBSWY3DPEHPK3PXP")
	sealed := s.Seal("totp", "f1", plain)
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed blob contains the plaintext")
	}
	if again := s.Seal("totp", "f1", plain); bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same plaintext are equal: nonce reused")
	}
	got, err := s.Open("totp", "f1", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name           string
		sealer         *Sealer
		purpose, owner string
		sealed         []byte
	}{
		{"other owner", s, "totp", "f2", sealed},
		{"other purpose", s, "webauthn", "f1", sealed},
		{"ambiguous split", s, "totpf", "1", sealed},
		{"other secret", other, "totp", "f1", sealed},
		{"altered", s, "totp", "f1", flipped},
		{"truncated", s, "totp", "f1", sealed[:10]},
		{"empty", s, "totp", "f1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.sealer.Open(tt.purpose, tt.owner, tt.sealed); !errors.Is(err, ErrSealed) {
				t.Fatalf("Open = %v, want ErrSealed", err)
			}
		})
	}
}
