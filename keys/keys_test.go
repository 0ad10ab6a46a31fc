package keys

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

func TestLive(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	k := func(id, alg string, activates time.Duration) store.Key {
		return store.Key{ID: id, Alg: alg, CreatedAt: t0, ActivatesAt: t0.Add(activates)}
	}
	tests := []struct {
		name string
		keys []store.Key
		now  time.Duration
		want []string
	}{
		{"only key stays", []store.Key{k("a", ES256, 0)}, 100 * time.Hour, []string{"a"}},
		{"successor not active yet", []store.Key{k("a", ES256, 0), k("b", ES256, time.Hour)}, 30 * time.Minute, []string{"a", "b"}},
		{"retired within retention", []store.Key{k("a", ES256, 0), k("b", ES256, time.Hour)}, time.Hour + 59*time.Minute, []string{"a", "b"}},
		{"retired past retention", []store.Key{k("a", ES256, 0), k("b", ES256, time.Hour)}, 2*time.Hour + time.Second, []string{"b"}},
		{"other algorithm does not retire", []store.Key{k("a", ES256, 0), k("r", RS256, time.Hour)}, 10 * time.Hour, []string{"a", "r"}},
		{"middle key retired by the one after it", []store.Key{k("a", ES256, 0), k("b", ES256, time.Hour), k("c", ES256, 5*time.Hour)}, 5*time.Hour + 30*time.Minute, []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, k := range live(tt.keys, time.Hour, t0.Add(tt.now)) {
				got = append(got, k.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("live = %v, want %v", got, tt.want)
			}
		})
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openStore(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func kidOf(t *testing.T, jws string) string {
	t.Helper()
	sig, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return sig.Signatures[0].Header.KeyID
}

func jwksKIDs(t *testing.T, m *Manager) []string {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(m.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("JWKS publishes a private key %s", k.KeyID)
		}
		out = append(out, k.KeyID)
	}
	return out
}

// TestRotation walks a rotation: the new key is published at once, signs
// only from its activation time, and the old key stays published until the
// tokens it signed have expired.
func TestRotation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	c := &clock{time.Unix(1700000000, 0)}
	const retention = time.Hour
	if err := Ensure(ctx, s, []string{ES256, RS256}, retention, c.t); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(ctx, s, []string{ES256, RS256}, retention, c.t); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(ctx, s, retention, c.now)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Algorithms(); !slices.Equal(got, []string{ES256, RS256}) {
		t.Fatalf("Algorithms = %v after Ensure twice", got)
	}
	jws, err := m.Sign(ES256, "at+jwt", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	oldKID := kidOf(t, jws)
	if !strings.Contains(string(m.JWKS()), oldKID) || len(jwksKIDs(t, m)) != 2 {
		t.Fatalf("JWKS %s: want the two initial keys", m.JWKS())
	}

	nk, err := Rotate(ctx, s, ES256, c.t.Add(10*time.Minute), retention, c.t)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(jwksKIDs(t, m), nk.ID) {
		t.Fatal("rotated key not published before activation")
	}
	jws, _ = m.Sign(ES256, "at+jwt", []byte(`{}`))
	if kidOf(t, jws) != oldKID {
		t.Fatal("new key signed before its activation time")
	}

	c.t = c.t.Add(10 * time.Minute)
	jws, _ = m.Sign(ES256, "at+jwt", []byte(`{}`))
	if kidOf(t, jws) != nk.ID {
		t.Fatal("new key does not sign after its activation time")
	}
	if _, ok := m.PublicKey(oldKID); !ok {
		t.Fatal("old key unpublished while its tokens may live")
	}

	c.t = c.t.Add(retention + time.Second)
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.PublicKey(oldKID); ok {
		t.Fatal("old key still published after every token it signed expired")
	}
	if len(jwksKIDs(t, m)) != 2 {
		t.Fatalf("JWKS after retirement: %v", jwksKIDs(t, m))
	}
}

func TestSignUnknownAlgorithm(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if err := Ensure(ctx, s, []string{ES256}, time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(ctx, s, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sign(RS256, "JWT", []byte(`{}`)); err == nil {
		t.Fatal("signed with an algorithm that has no key")
	}
	if _, err := Generate("HS256", time.Now(), time.Now()); err == nil {
		t.Fatal("generated a symmetric key")
	}
}

func TestEveryAlgorithmSigns(t *testing.T) {
	for _, alg := range []string{ES256, RS256, EdDSA} {
		t.Run(alg, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t)
			if err := Ensure(ctx, s, []string{alg}, time.Hour, time.Now()); err != nil {
				t.Fatal(err)
			}
			m, err := NewManager(ctx, s, time.Hour, nil)
			if err != nil {
				t.Fatal(err)
			}
			// ECDSA's R and S lose a leading zero byte once in 128
			// signatures between them: enough signatures go through the
			// padding of the fixed-width encoding.
			n := 3
			if alg == ES256 {
				n = 1000
			}
			for i := range n {
				payload := fmt.Appendf(nil, `{"a":%d}`, i)
				jws, err := m.Sign(alg, "at+jwt", payload)
				if err != nil {
					t.Fatal(err)
				}
				kid := kidOf(t, jws)
				pub, _ := m.PublicKey(kid)
				sig, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
				if err != nil {
					t.Fatalf("go-jose cannot parse %s: %v", jws, err)
				}
				got, err := sig.Verify(pub)
				if err != nil {
					t.Fatalf("signature %d does not verify with the published key: %v", i, err)
				}
				h := sig.Signatures[0].Header
				if string(got) != string(payload) || h.Algorithm != alg || h.KeyID != kid || h.ExtraHeaders["typ"] != "at+jwt" {
					t.Fatalf("payload %s, header %+v", got, h)
				}
			}
		})
	}
}

// TestRotateWithinTheSameSecond: a key rotated to activate at once takes
// over even when the previous key activated in the same second.
func TestRotateWithinTheSameSecond(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := time.Now()
	if err := Ensure(ctx, s, []string{ES256}, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(ctx, s, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		k, err := Rotate(ctx, s, ES256, time.Now(), time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		jws, _ := m.Sign(ES256, "at+jwt", []byte(`{}`))
		if kidOf(t, jws) != k.ID {
			t.Fatal("the newest active key does not sign")
		}
	}
}
