package console

import "testing"

// FuzzOpenCookie: a cookie value from a browser opens only if it was
// sealed under the key for that cookie (here only the session of sub u
// ever is: fuzzing workers seal it again with their own nonces), and
// never panics.
func FuzzOpenCookie(f *testing.F) {
	s, err := newSealer(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.seal(sessionCookie, session{ID: "x", Sub: "u"})
	if err != nil {
		f.Fatal(err)
	}
	other, _ := s.seal(flashCookie, flash{Message: "m"})
	for _, seed := range []string{good, other, "", "AAAA", good[:len(good)-1], "%%%"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var got session
		err := s.open(sessionCookie, value, &got)
		if err == nil && got.Sub != "u" {
			t.Fatalf("a value not sealed for the session cookie opened: %q", value)
		}
		if value == good && err != nil {
			t.Fatalf("the sealed value did not open: %v", err)
		}
		if value == other && err == nil {
			t.Fatal("the flash cookie's value opened as a session")
		}
	})
}
