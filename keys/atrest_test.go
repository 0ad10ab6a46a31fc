package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

func newKEK(t *testing.T) (*KEK, string) {
	t.Helper()
	b := make([]byte, KEKSize)
	rand.Read(b)
	text := hex.EncodeToString(b)
	k, err := ParseKEK(text)
	if err != nil {
		t.Fatal(err)
	}
	return k, text
}

func TestParseKEK(t *testing.T) {
	_, good := newKEK(t)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"64 hex characters", good, true},
		{"upper case", strings.ToUpper(good), true},
		{"empty", "", false},
		{"too short", good[:62], false},
		{"too long", good + "00", false},
		{"not hex", "zz" + good[2:], false},
		{"base64 of 32 bytes", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKEK(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKEK: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
}

// TestOpen covers every way a stored key is read: plaintext from before
// encryption, sealed under either key of the ring, and every failure,
// which names the kid and never key material.
func TestOpen(t *testing.T) {
	cur, curText := newKEK(t)
	prev, prevText := newKEK(t)
	other, _ := newKEK(t)
	k, err := Generate(ES256, time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	der := k.Private
	sealedCur, _ := seal(cur, k.ID, der)
	sealedPrev, _ := seal(prev, k.ID, der)
	sealedOther, _ := seal(other, k.ID, der)
	flipped := bytes.Clone(sealedCur)
	flipped[len(flipped)-1] ^= 1
	flippedDEK := bytes.Clone(sealedCur)
	flippedDEK[kekIDEnd+20] ^= 1
	ring := KeyRing{Current: cur, Previous: prev}
	tests := []struct {
		name string
		ring KeyRing
		kid  string
		blob []byte
		kek  *KEK
		err  error
	}{
		{"plaintext from before encryption, no ring", KeyRing{}, k.ID, der, nil, nil},
		{"plaintext from before encryption, with a ring", ring, k.ID, der, nil, nil},
		{"sealed with current", ring, k.ID, sealedCur, cur, nil},
		{"sealed with previous", ring, k.ID, sealedPrev, prev, nil},
		{"sealed, no key-encryption key", KeyRing{}, k.ID, sealedCur, nil, ErrNoKEK},
		{"sealed with another key", ring, k.ID, sealedOther, nil, ErrWrongKEK},
		{"previous key only in the blob, not the ring", KeyRing{Current: cur}, k.ID, sealedPrev, nil, ErrWrongKEK},
		{"ciphertext altered", ring, k.ID, flipped, nil, ErrCorruptKey},
		{"data key altered", ring, k.ID, flippedDEK, nil, ErrCorruptKey},
		{"moved to another kid", ring, "another-kid", sealedCur, nil, ErrCorruptKey},
		{"truncated", ring, k.ID, sealedCur[:sealedHeader-1], nil, ErrCorruptKey},
		{"neither PKCS #8 nor sealed", ring, k.ID, []byte("garbage"), nil, ErrCorruptKey},
		{"empty", ring, k.ID, nil, nil, ErrCorruptKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kek, err := open(tt.ring, tt.kid, tt.blob)
			if !errors.Is(err, tt.err) {
				t.Fatalf("open: %v, want %v", err, tt.err)
			}
			if err != nil {
				msg := err.Error()
				if !strings.Contains(msg, tt.kid) {
					t.Fatalf("error does not name the key: %v", err)
				}
				for _, secret := range []string{curText, prevText, hex.EncodeToString(der), string(der)} {
					if strings.Contains(msg, secret) {
						t.Fatalf("error carries key material: %v", err)
					}
				}
				return
			}
			if !bytes.Equal(got, der) || kek != tt.kek {
				t.Fatalf("open = %d bytes with KEK %v, want the DER with %v", len(got), kek, tt.kek)
			}
		})
	}
}

// backends runs f on SQLite and, with PORTCULLIS_TEST_POSTGRES, on
// PostgreSQL: sealing lives above the store, so both must keep its bytes.
func backends(t *testing.T, f func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, openStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(context.Background(), pgtest.FreshSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}

// TestSealedAtRest: keys made through Sealed are stored encrypted, sign,
// and do not load without their key-encryption key.
func TestSealedAtRest(t *testing.T) {
	backends(t, func(t *testing.T, raw store.Store) {
		ctx := context.Background()
		kek, _ := newKEK(t)
		ring := KeyRing{Current: kek}
		if err := Ensure(ctx, Sealed(raw, ring), []string{ES256, RS256, EdDSA}, time.Hour, time.Now()); err != nil {
			t.Fatal(err)
		}
		stored, err := raw.ListKeys(ctx)
		if err != nil || len(stored) != 3 {
			t.Fatalf("ListKeys = %d keys, %v", len(stored), err)
		}
		opened, err := Sealed(raw, ring).ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range stored {
			if !IsEncrypted(k.Private) || bytes.Contains(k.Private, opened[i].Private) {
				t.Fatalf("key %s is stored in plaintext", k.ID)
			}
		}
		m, err := NewManager(ctx, Sealed(raw, ring), time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, alg := range []string{ES256, RS256, EdDSA} {
			if _, err := m.Sign(alg, "JWT", []byte(`{}`)); err != nil {
				t.Fatalf("sign %s: %v", alg, err)
			}
		}

		other, _ := newKEK(t)
		for name, tc := range map[string]struct {
			ring KeyRing
			want error
		}{
			"wrong key-encryption key": {KeyRing{Current: other}, ErrWrongKEK},
			"no key-encryption key":    {KeyRing{}, ErrNoKEK},
		} {
			_, err := NewManager(ctx, Sealed(raw, tc.ring), time.Hour, nil)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), stored[0].ID) {
				t.Fatalf("%s: NewManager = %v, want %v naming key %s", name, err, tc.want, stored[0].ID)
			}
			// A start with the wrong key changes nothing in the store.
			if err := Ensure(ctx, Sealed(raw, tc.ring), []string{ES256}, time.Hour, time.Now()); !errors.Is(err, tc.want) {
				t.Fatalf("%s: Ensure = %v, want %v", name, err, tc.want)
			}
		}
		if after, _ := raw.ListKeys(ctx); !sameBlobs(stored, after) {
			t.Fatal("a failed start changed the stored keys")
		}
	})
}

// TestSealedKeepsStoredForm: with a key-encryption key newly configured,
// keys stored in plaintext before still load and stay as they were until
// Rewrap; new keys are sealed.
func TestSealedKeepsStoredForm(t *testing.T) {
	backends(t, func(t *testing.T, raw store.Store) {
		ctx := context.Background()
		if err := Ensure(ctx, Sealed(raw, KeyRing{}), []string{ES256}, time.Hour, time.Now()); err != nil {
			t.Fatal(err)
		}
		before, _ := raw.ListKeys(ctx)
		if IsEncrypted(before[0].Private) {
			t.Fatal("without a key-encryption key the key is stored sealed")
		}
		kek, _ := newKEK(t)
		sealed := Sealed(raw, KeyRing{Current: kek})
		if _, err := NewManager(ctx, sealed, time.Hour, nil); err != nil {
			t.Fatalf("plaintext key from before encryption does not load: %v", err)
		}
		nk, err := Rotate(ctx, sealed, ES256, time.Now().Add(time.Minute), time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		after, _ := raw.ListKeys(ctx)
		if len(after) != 2 || !bytes.Equal(after[0].Private, before[0].Private) || after[1].ID != nk.ID || !IsEncrypted(after[1].Private) {
			t.Fatalf("after rotation: old key rewritten or new key plaintext")
		}
		if plain, err := Plaintext(ctx, raw); err != nil || !slices.Equal(plain, []string{before[0].ID}) {
			t.Fatalf("Plaintext = %v, %v; want the old key", plain, err)
		}
	})
}

// TestRewrap encrypts plaintext keys, moves keys from the previous
// key-encryption key to the current one, changes nothing when run again,
// and changes nothing at all when one key cannot be opened.
func TestRewrap(t *testing.T) {
	backends(t, func(t *testing.T, raw store.Store) {
		ctx := context.Background()
		now := time.Now()
		if err := Ensure(ctx, raw, []string{ES256, RS256}, time.Hour, now); err != nil {
			t.Fatal(err)
		}
		plain, _ := raw.ListKeys(ctx)
		kids := []string{plain[0].ID, plain[1].ID}
		if _, err := Rewrap(ctx, raw, KeyRing{}); !errors.Is(err, ErrNoKEK) {
			t.Fatalf("Rewrap without a key-encryption key = %v, want ErrNoKEK", err)
		}

		old, _ := newKEK(t)
		res, err := Rewrap(ctx, raw, KeyRing{Current: old})
		if err != nil || !slices.Equal(res.Encrypted, kids) || len(res.Rewrapped)+len(res.Unchanged) != 0 {
			t.Fatalf("first Rewrap = %+v, %v; want both keys encrypted", res, err)
		}
		first, _ := raw.ListKeys(ctx)
		res, err = Rewrap(ctx, raw, KeyRing{Current: old})
		if second, _ := raw.ListKeys(ctx); err != nil || !slices.Equal(res.Unchanged, kids) || !sameBlobs(first, second) {
			t.Fatalf("Rewrap again = %+v, %v; want nothing changed", res, err)
		}

		cur, _ := newKEK(t)
		if _, err := Rewrap(ctx, raw, KeyRing{Current: cur}); !errors.Is(err, ErrWrongKEK) {
			t.Fatalf("Rewrap without the previous key = %v, want ErrWrongKEK", err)
		}
		if now, _ := raw.ListKeys(ctx); !sameBlobs(first, now) {
			t.Fatal("a failed rewrap changed the stored keys")
		}
		res, err = Rewrap(ctx, raw, KeyRing{Current: cur, Previous: old})
		if err != nil || !slices.Equal(res.Rewrapped, kids) {
			t.Fatalf("Rewrap to a new key = %+v, %v; want both rewrapped", res, err)
		}
		if _, err := NewManager(ctx, Sealed(raw, KeyRing{Current: old}), time.Hour, nil); !errors.Is(err, ErrWrongKEK) {
			t.Fatalf("old key-encryption key still opens keys after rewrap: %v", err)
		}
		m, err := NewManager(ctx, Sealed(raw, KeyRing{Current: cur}), time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		if jws, err := m.Sign(ES256, "JWT", []byte(`{}`)); err != nil || kidOf(t, jws) != kids[slices.IndexFunc(plain, func(k store.Key) bool { return k.Alg == ES256 })] {
			t.Fatalf("after rewrap the same key does not sign: %v", err)
		}
	})
}

func sameBlobs(a, b []store.Key) bool {
	return slices.EqualFunc(a, b, func(x, y store.Key) bool { return x.ID == y.ID && bytes.Equal(x.Private, y.Private) })
}
