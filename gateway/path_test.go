package gateway

import (
	"errors"
	"net/url"
	"path"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    string // decoded, when accepted
		wantErr error
	}{
		{name: "root", raw: "/", want: "/"},
		{name: "plain", raw: "/users/42", want: "/users/42"},
		{name: "trailing slash", raw: "/users/", want: "/users/"},
		{name: "sub-delimiters, colon and at", raw: "/a/b:c@d!$&'()*+,=", want: "/a/b:c@d!$&'()*+,="},
		{name: "encoded reserved characters", raw: "/a%40%2B%3A%5B%5D", want: "/a@+:[]"},
		{name: "encoded UTF-8", raw: "/caf%C3%A9", want: "/café"},
		{name: "encoded CJK, NFKC-stable", raw: "/%E6%97%A5%E6%9C%AC", want: "/日本"},
		{name: "dots inside a segment", raw: "/a/..b/c...", want: "/a/..b/c..."},

		{name: "relative", raw: "users", wantErr: errNotAbsolute},
		{name: "empty", raw: "", wantErr: errNotAbsolute},
		{name: "asterisk", raw: "*", wantErr: errNotAbsolute},
		{name: "semicolon", raw: "/users/admin;x", wantErr: errSemicolon},
		{name: "semicolon alone", raw: "/users;/admin", wantErr: errSemicolon},
		{name: "encoded semicolon", raw: "/users/admin%3Bx", wantErr: errSemicolon},
		{name: "raw NUL", raw: "/users\x00", wantErr: errControl},
		{name: "raw tab", raw: "/users\t", wantErr: errControl},
		{name: "raw DEL", raw: "/users\x7f", wantErr: errControl},
		{name: "encoded NUL", raw: "/users/admin%00", wantErr: errControl},
		{name: "encoded newline", raw: "/users/%0A", wantErr: errSpace},
		{name: "encoded tab", raw: "/users/admin%09", wantErr: errSpace},
		{name: "encoded space", raw: "/users/admin%20", wantErr: errSpace},
		{name: "encoded form feed", raw: "/users/admin%0C", wantErr: errSpace},
		{name: "encoded no-break space", raw: "/users/admin%C2%A0", wantErr: errSpace},
		{name: "encoded ideographic space", raw: "/users/admin%E3%80%80", wantErr: errSpace},
		{name: "encoded line separator", raw: "/users/admin%E2%80%A8", wantErr: errSpace},
		{name: "encoded ogham space", raw: "/users/admin%E1%9A%80", wantErr: errSpace},
		{name: "encoded question mark", raw: "/users/admin%3F", wantErr: errEncodedQuery},
		{name: "encoded hash", raw: "/users/admin%23x", wantErr: errEncodedHash},
		{name: "full-width dot dot", raw: "/users/%EF%BC%8E%EF%BC%8E/x", wantErr: errCompatibility},
		{name: "full-width solidus", raw: "/users%EF%BC%8Fadmin", wantErr: errCompatibility},
		{name: "full-width reverse solidus", raw: "/users%EF%BC%BCadmin", wantErr: errCompatibility},
		{name: "one dot leader", raw: "/users/%E2%80%A4%E2%80%A4/admin", wantErr: errCompatibility},
		{name: "two dot leader", raw: "/users/%E2%80%A5/admin", wantErr: errCompatibility},
		{name: "small full stop", raw: "/users/%EF%B9%92%EF%B9%92/admin", wantErr: errCompatibility},
		{name: "division slash", raw: "/users%E2%88%95admin", wantErr: errCompatibility},
		{name: "fraction slash", raw: "/users%E2%81%84admin", wantErr: errCompatibility},
		{name: "small reverse solidus", raw: "/users%EF%B9%A8admin", wantErr: errCompatibility},
		{name: "big solidus", raw: "/users%E2%A7%B8admin", wantErr: errCompatibility},
		{name: "big reverse solidus", raw: "/users%E2%A7%B9admin", wantErr: errCompatibility},
		{name: "full-width letters", raw: "/users/%EF%BD%81dmin", wantErr: errCompatibility},
		{name: "encoded DEL", raw: "/users/%7F", wantErr: errControl},
		{name: "encoded C1 control", raw: "/users/%C2%85", wantErr: errControl},
		{name: "backslash", raw: `/users\admin`, wantErr: errBackslash},
		{name: "encoded backslash", raw: "/users%5Cadmin", wantErr: errBackslash},
		{name: "encoded slash", raw: "/users%2Fadmin", wantErr: errEncodedSlash},
		{name: "encoded slash, lower case", raw: "/users%2fadmin", wantErr: errLowerHex},
		{name: "encoded percent", raw: "/users/%252e%252e/admin", wantErr: errEncodedPercent},
		{name: "dot dot", raw: "/public/../admin", wantErr: errDotSegment},
		{name: "trailing dot dot", raw: "/users/..", wantErr: errDotSegment},
		{name: "dot", raw: "/users/./42", wantErr: errDotSegment},
		{name: "trailing dot", raw: "/users/.", wantErr: errDotSegment},
		{name: "double slash", raw: "/users//42", wantErr: errDotSegment},
		{name: "leading double slash", raw: "//users", wantErr: errDotSegment},
		{name: "encoded dot dot", raw: "/users/%2E%2E/admin", wantErr: errEncodedPlain},
		{name: "half-encoded dot dot", raw: "/users/.%2E/admin", wantErr: errEncodedPlain},
		{name: "encoded tilde", raw: "/%7euser", wantErr: errLowerHex},
		{name: "encoded tilde, upper case", raw: "/%7Euser", wantErr: errEncodedPlain},
		{name: "encoded letter", raw: "/users/%41dmin", wantErr: errEncodedPlain},
		{name: "lower-case hex", raw: "/caf%c3%a9", wantErr: errLowerHex},
		{name: "truncated escape", raw: "/users%2", wantErr: errBadEscape},
		{name: "escape at the end", raw: "/users%", wantErr: errBadEscape},
		{name: "not hex", raw: "/users%zz", wantErr: errBadEscape},
		{name: "overlong dot", raw: "/users/%C0%AE%C0%AE/admin", wantErr: errUTF8},
		{name: "raw space", raw: "/a b", wantErr: errDisallowed},
		{name: "raw non-ASCII", raw: "/café", wantErr: errDisallowed},
		{name: "raw brace", raw: "/a{b}", wantErr: errDisallowed},
		{name: "raw bracket", raw: "/a[0]", wantErr: errDisallowed},
		{name: "raw question mark", raw: "/a?b", wantErr: errDisallowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkPath(tt.raw)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("checkPath(%q) = %q, %v; want %q, %v", tt.raw, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestRequestPathMismatch covers a URL built by hand whose RawPath does
// not decode to its Path: the gateway must not route on one and check the
// other.
func TestRequestPathMismatch(t *testing.T) {
	u := &url.URL{Path: "/admin", RawPath: "/users/42"}
	if p, err := requestPath(u); !errors.Is(err, errMismatch) {
		t.Errorf("requestPath = %q, %v; want errMismatch", p, err)
	}
}

// FuzzCheckPath checks what the gateway relies on for every accepted
// path: it decodes as net/url decodes it, net/url sends it upstream
// byte for byte, and the decoded path has the raw path's segments, none
// of them a dot segment, and no byte an upstream would split or drop on.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{
		"/", "/users/42", "/users/", "/a%20b", "/caf%C3%A9", "/users/admin;x", "/users%2Fadmin",
		"/users/%2E%2E/admin", "/%7e", "/users\\admin", "/users/..", "//x", "/%C0%AE", "/%25", "/a%3F",
		"/%EF%BC%8E%EF%BC%8E", "/%E2%88%95", "/%E6%97%A5", "/%C2%A0", "/%23",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		decoded, err := checkPath(raw)
		if err != nil {
			if decoded != "" {
				t.Fatalf("checkPath(%q) returned %q with %v", raw, decoded, err)
			}
			return
		}
		if want, err := url.PathUnescape(raw); err != nil || decoded != want {
			t.Fatalf("checkPath(%q) = %q; url.PathUnescape gives %q, %v", raw, decoded, want, err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("url.Parse(%q): %v", raw, err)
		}
		if u.Path != decoded || u.EscapedPath() != raw {
			t.Fatalf("url.Parse(%q): Path %q, EscapedPath %q", raw, u.Path, u.EscapedPath())
		}
		if strings.Count(decoded, "/") != strings.Count(raw, "/") || strings.ContainsAny(decoded, ";\\%?#") {
			t.Fatalf("checkPath(%q) = %q: segments changed or a separator survived", raw, decoded)
		}
		trimmed := decoded
		if len(trimmed) > 1 {
			trimmed = strings.TrimSuffix(trimmed, "/")
		}
		if path.Clean(trimmed) != trimmed {
			t.Fatalf("checkPath(%q) = %q, which is not clean", raw, decoded)
		}
		for _, r := range decoded {
			if r <= ' ' || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) {
				t.Fatalf("checkPath(%q) = %q, with a control or space character", raw, decoded)
			}
		}
		// An upstream that normalises to NFKC must see the same
		// separators and dots, so no new segment or dot segment.
		nfkc := norm.NFKC.String(decoded)
		for _, sep := range []string{"/", ".", "\\"} {
			if strings.Count(nfkc, sep) != strings.Count(decoded, sep) {
				t.Fatalf("checkPath(%q) = %q, which NFKC turns into %q", raw, decoded, nfkc)
			}
		}
	})
}
