package agent

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// FuzzOpenCookie feeds cookie values to decryption, which sees whatever a
// browser sends, legacy layout allowed. It must never panic, must refuse
// what it did not seal, and must open what it sealed, for its name only.
// Seeds: testdata/fuzz/FuzzOpenCookie and the test vectors.
func FuzzOpenCookie(f *testing.F) {
	vs := readVectors(f)
	for _, v := range vs {
		f.Add(v.Cookie)
	}
	c := mustCipher(f, vs[0].Key, vs[2].Key)
	f.Fuzz(func(t *testing.T, value string) {
		if _, plain, err := c.open("pc-at", value, true); err == nil {
			raw, _ := base64.RawURLEncoding.DecodeString(value)
			if n := minLegacy + len(plain); raw[0] == cookieVersion && len(raw) != n+loginIDSize || raw[0] == legacyVersion && len(raw) != n {
				t.Errorf("opened %d bytes from a %d-byte value", len(plain), len(raw))
			}
		}
		id := newLoginID()
		sealed := c.seal("pc-at", id, []byte(value))
		if gotID, got, err := c.open("pc-at", sealed, false); err != nil || !bytes.Equal(got, []byte(value)) || gotID != id {
			t.Errorf("round trip: %q, %v", got, err)
		}
		if _, _, err := c.open("pc-id", sealed, true); err == nil {
			t.Error("a value sealed for pc-at opened as pc-id")
		}
	})
}

// FuzzParseAuthResponse feeds page URLs to /login/end's parser. It must
// never panic, and whatever it returns as an authorization response must
// be on the redirect URI, with a state and either a code or an error.
// Seeds: testdata/fuzz/FuzzParseAuthResponse.
func FuzzParseAuthResponse(f *testing.F) {
	redirect, _ := url.Parse("http://127.0.0.1:3000/callback")
	f.Add("http://127.0.0.1:3000/callback?code=c&state=s&iss=http%3A%2F%2F127.0.0.1%3A8080")
	f.Fuzz(func(t *testing.T, page string) {
		resp, err := parseAuthResponse(page, redirect)
		if err != nil || resp == nil {
			return
		}
		u, perr := url.Parse(page)
		if perr != nil || !strings.EqualFold(u.Host, redirect.Host) {
			t.Fatalf("%q answered for another page", page)
		}
		q := u.Query()
		if !q.Has("state") || resp.state != q.Get("state") {
			t.Errorf("%q: state %q", page, resp.state)
		}
		if resp.hasCode == q.Has("error") || resp.hasCode && resp.err != "" {
			t.Errorf("%q: code %v and error %q", page, resp.hasCode, resp.err)
		}
	})
}
