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
// by testdata/cookie_vectors.js with Node's crypto, independently of this
// package. Version 1 vectors are the legacy layout of Curity's OAuth
// Agents; they have no cookie name and no login ID.
type vector struct {
	Name       string `json:"name"`
	Version    int    `json:"version"`
	Key        string `json:"key"`
	Nonce      string `json:"nonce"`
	CookieName string `json:"cookie_name"`
	LoginID    string `json:"login_id"`
	Plaintext  string `json:"plaintext"`
	Cookie     string `json:"cookie"`
}

func (v vector) loginID(t testing.TB) loginID {
	t.Helper()
	var id loginID
	if v.Version == 2 {
		b, err := hex.DecodeString(v.LoginID)
		if err != nil || len(b) != loginIDSize {
			t.Fatalf("vector %s: bad login ID", v.Name)
		}
		id = loginID(b)
	}
	return id
}

// readVectors returns the version 2 vectors, then the legacy ones.
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
			if v.Version == 2 {
				nonce, _ := hex.DecodeString(v.Nonce)
				if got := c.sealWithNonce(nonce, v.CookieName, v.loginID(t), []byte(v.Plaintext)); got != v.Cookie {
					t.Errorf("seal = %s, want %s", got, v.Cookie)
				}
			}
			id, got, err := c.open(v.CookieName, v.Cookie, true)
			if err != nil || string(got) != v.Plaintext || id != v.loginID(t) {
				t.Errorf("open = %x %q, %v; want %s %q", id, got, err, v.LoginID, v.Plaintext)
			}
			_, _, err = c.open(v.CookieName, v.Cookie, false)
			if legacy := v.Version == 1; legacy != errors.Is(err, ErrInvalidCookie) {
				t.Errorf("open without the transition: %v", err)
			}
		})
	}
}

func TestSealLayout(t *testing.T) {
	v := readVectors(t)[0]
	c := mustCipher(t, v.Key)
	id := newLoginID()
	a, b := c.seal(v.CookieName, id, []byte(v.Plaintext)), c.seal(v.CookieName, id, []byte(v.Plaintext))
	if a == b {
		t.Error("two seals of one plaintext are equal: the nonce is not random")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != 2 || len(raw) != 1+12+16+len(v.Plaintext)+16 {
		t.Errorf("layout: version %d, length %d", raw[0], len(raw))
	}
	if newLoginID() == id {
		t.Error("two login IDs are equal")
	}
}

func TestCookieKeyRotation(t *testing.T) {
	vs := readVectors(t)
	oldKey, newKey := vs[0].Key, vs[2].Key
	old := mustCipher(t, oldKey)
	rotated := mustCipher(t, newKey, oldKey)
	id := newLoginID()
	sealedOld := old.seal("pc-at", id, []byte("before"))
	if got, v, err := rotated.open("pc-at", sealedOld, false); err != nil || string(v) != "before" || got != id {
		t.Errorf("a cookie of the old key: %q, %v", v, err)
	}
	sealedNew := rotated.seal("pc-at", id, []byte("after"))
	if _, _, err := old.open("pc-at", sealedNew, false); !errors.Is(err, ErrInvalidCookie) {
		t.Errorf("the new key encrypts: the old cipher opened its cookie (%v)", err)
	}
	if _, v, err := mustCipher(t, newKey).open("pc-at", sealedNew, false); err != nil || string(v) != "after" {
		t.Errorf("the first key does not encrypt: %q, %v", v, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	vs := readVectors(t)
	v, legacy := vs[2], vs[5]
	c := mustCipher(t, v.Key)
	raw, _ := base64.RawURLEncoding.DecodeString(v.Cookie)
	enc := base64.RawURLEncoding.EncodeToString
	flip := func(i int) string {
		b := []byte(string(raw))
		b[i] ^= 1
		return enc(b)
	}
	tests := []struct {
		name, cookie, value string
		legacy              bool
	}{
		{name: "empty", value: ""},
		{name: "not base64url", value: "a+b/c="},
		{name: "padded", value: v.Cookie + "="},
		{name: "version 3", value: flip(0)},
		{name: "version 1 byte on a version 2 value", value: enc(append([]byte{1}, raw[1:]...)), legacy: true},
		{name: "version 0", value: enc(append([]byte{0}, raw[1:]...))},
		{name: "nonce flipped", value: flip(5)},
		{name: "login ID flipped", value: flip(15)},
		{name: "ciphertext flipped", value: flip(40)},
		{name: "tag flipped", value: flip(len(raw) - 1)},
		{name: "truncated tag", value: enc(raw[:len(raw)-1])},
		{name: "header only", value: enc(raw[:13])},
		{name: "shorter than a login ID and a tag", value: enc(raw[:minSealed-1])},
		{name: "foreign key", value: vs[0].Cookie},
		{name: "sealed for another cookie", cookie: "pc-id", value: v.Cookie, legacy: true},
		{name: "sealed with a __Host- name, read without", cookie: "pc-at", value: c.seal("__Host-pc-at", newLoginID(), []byte("t"))},
		{name: "legacy after the transition", value: legacy.Cookie},
		{name: "legacy of another key", value: vs[3].Cookie, legacy: true},
		{name: "too long", value: strings.Repeat("A", maxCookieValue+1), legacy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.cookie
			if name == "" {
				name = v.CookieName
			}
			if _, got, err := c.open(name, tt.value, tt.legacy); !errors.Is(err, ErrInvalidCookie) {
				t.Errorf("open = %q, %v; want ErrInvalidCookie", got, err)
			}
		})
	}
}
