package dpop_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
)

// FuzzNormalizeURL: NormalizeURL never panics, and what it accepts comes
// out as an absolute http(s) URL without user information, query or
// fragment, already in normal form.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://api.example.com/v1/things", "HTTPS://API.example.com:443/a/%7euser", "http://localhost:80",
		"https://h.example/a%2fb", "https://[::1]:8443/x", "https://h.example/a?b#c", "https://u:p@h.example/",
		"https://h.example/%zz", "https://h.example/%", "http://[fe80::1%25en0]/", "https:h.example", "//h.example/x",
		"https://h.example/a%C3%A9", "https://H.EXAMPLE:08080/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, ok := dpop.NormalizeURL(raw)
		if !ok {
			if out != "" {
				t.Fatalf("refused %q but returned %q", raw, out)
			}
			return
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("%q normalised to %q, which does not parse: %v", raw, out, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(out, "?#") {
			t.Fatalf("%q normalised to %q", raw, out)
		}
		if again, ok := dpop.NormalizeURL(out); !ok || again != out {
			t.Fatalf("%q normalised to %q, and that to %q (%v)", raw, out, again, ok)
		}
	})
}

// FuzzVerify: whatever the DPoP header holds, Verify answers a proof, an
// *Error or ErrNoProof, and never panics.
func FuzzVerify(f *testing.F) {
	now := time.Now()
	s := dpoptest.NewSigner(f)
	req := dpoptest.Request{Method: "GET", URL: target, AccessToken: "tok", Now: now}
	f.Add(s.Proof(req))
	for _, d := range s.Defects(req) {
		f.Add(d.Header[0])
	}
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.")
	v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil), Clock: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	want := dpop.Request{Method: "GET", URL: target, AccessToken: "tok", JKT: s.JKT}
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := v.Verify(context.Background(), header(proof), want)
		var e *dpop.Error
		switch {
		case err == nil:
			if p == nil || p.JKT != s.JKT {
				t.Fatalf("accepted %q with %+v", proof, p)
			}
		case errors.As(err, &e):
			// A description never quotes the proof (short inputs are
			// words it may well contain).
			if e.Code != dpop.CodeInvalidProof && e.Code != dpop.CodeUseNonce || len(proof) > 16 && strings.Contains(e.Description, proof) {
				t.Fatalf("error %v for %q", e, proof)
			}
		default:
			t.Fatalf("Verify(%q): %v", proof, err)
		}
	})
}
