package agent

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// vector is a cookie test vector: testdata/cookie_vectors.json, computed
// by testdata/cookie_vectors.js with Node's crypto the way Curity's OAuth
// Agents encrypt cookies, independently of this package.
type vector struct {
	Name      string `json:"name"`
	Key       string `json:"key"`
	Nonce     string `json:"nonce"`
	Plaintext string `json:"plaintext"`
	Cookie    string `json:"cookie"`
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/cookie_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func mustCipher(t testing.TB, keys ...string) *cookieCipher {
	t.Helper()
	c, err := newCookieCipher(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCookieVectors(t *testing.T) {
	for _, v := range readVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c := mustCipher(t, v.Key)
			nonce, _ := hex.DecodeString(v.Nonce)
			if got := c.sealWithNonce(nonce, []byte(v.Plaintext)); got != v.Cookie {
				t.Errorf("seal = %s, want %s", got, v.Cookie)
			}
			got, err := c.open(v.Cookie)
			if err != nil || string(got) != v.Plaintext {
				t.Errorf("open = %q, %v; want %q", got, err, v.Plaintext)
			}
		})
	}
}

func TestSealLayout(t *testing.T) {
	v := readVectors(t)[0]
	c := mustCipher(t, v.Key)
	a, b := c.seal([]byte(v.Plaintext)), c.seal([]byte(v.Plaintext))
	if a == b {
		t.Error("two seals of one plaintext are equal: the nonce is not random")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != 1 || len(raw) != 1+12+len(v.Plaintext)+16 {
		t.Errorf("layout: version %d, length %d", raw[0], len(raw))
	}
}

func TestCookieKeyRotation(t *testing.T) {
	vs := readVectors(t)
	oldKey, newKey := vs[0].Key, vs[2].Key
	old := mustCipher(t, oldKey)
	rotated := mustCipher(t, newKey, oldKey)
	sealedOld := old.seal([]byte("before"))
	if got, err := rotated.open(sealedOld); err != nil || string(got) != "before" {
		t.Errorf("a cookie of the old key: %q, %v", got, err)
	}
	sealedNew := rotated.seal([]byte("after"))
	if _, err := old.open(sealedNew); !errors.Is(err, ErrInvalidCookie) {
		t.Errorf("the new key encrypts: the old cipher opened its cookie (%v)", err)
	}
	if got, err := mustCipher(t, newKey).open(sealedNew); err != nil || string(got) != "after" {
		t.Errorf("the first key does not encrypt: %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	v := readVectors(t)[2]
	c := mustCipher(t, v.Key)
	raw, _ := base64.RawURLEncoding.DecodeString(v.Cookie)
	enc := base64.RawURLEncoding.EncodeToString
	flip := func(i int) string {
		b := []byte(string(raw))
		b[i] ^= 1
		return enc(b)
	}
	tests := []struct {
		name, value string
	}{
		{name: "empty", value: ""},
		{name: "not base64url", value: "a+b/c="},
		{name: "padded", value: v.Cookie + "="},
		{name: "version 2", value: flip(0)},
		{name: "version 0", value: enc(append([]byte{0}, raw[1:]...))},
		{name: "nonce flipped", value: flip(5)},
		{name: "ciphertext flipped", value: flip(20)},
		{name: "tag flipped", value: flip(len(raw) - 1)},
		{name: "truncated tag", value: enc(raw[:len(raw)-1])},
		{name: "header only", value: enc(raw[:13])},
		{name: "shorter than a tag", value: enc(raw[:28])},
		{name: "foreign key", value: readVectors(t)[0].Cookie},
		{name: "too long", value: strings.Repeat("A", maxCookieValue+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := c.open(tt.value); !errors.Is(err, ErrInvalidCookie) {
				t.Errorf("open = %q, %v; want ErrInvalidCookie", got, err)
			}
		})
	}
}
