package gateway

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Reasons a request path is refused. The gateway routes on the decoded
// path and the upstream decodes it again in its own way: Tomcat, Jetty and
// Spring drop ";parameters" from a segment, some servers take "\" for "/"
// or decode twice, and "/users/%2e%2e/admin" is "/admin" to one and a file
// named ".." to another. A path that two decoders could read differently
// would let a route's scope check guard one resource while the upstream
// serves another, so only one spelling of each path is accepted. A hop
// that decodes and forwards again turns an encoded '?' or '#' into a query
// or fragment; servers that trim or split on whitespace, or normalise
// Unicode (NFKC turns a full-width '．' into '.'), read yet another path.
var (
	errNotAbsolute    = errors.New("the path must be absolute")
	errSemicolon      = errors.New("the path must not contain ';' (path parameters), raw or encoded")
	errControl        = errors.New("the path must not contain control characters, raw or encoded")
	errBackslash      = errors.New("the path must not contain a backslash, raw or encoded")
	errEncodedSlash   = errors.New("the path must not contain an encoded '/' (%2F)")
	errEncodedPercent = errors.New("the path must not contain an encoded '%' (%25)")
	errEncodedQuery   = errors.New("the path must not contain an encoded '?' (%3F)")
	errEncodedHash    = errors.New("the path must not contain an encoded '#' (%23)")
	errSpace          = errors.New("the path must not contain whitespace, raw or encoded")
	errCompatibility  = errors.New("the path must not contain an encoded character that Unicode normalisation (NFKC) or best-fit mapping turns into ASCII, such as a full-width '.' or a division slash")
	errBadEscape      = errors.New("the path has an invalid percent-encoding")
	errLowerHex       = errors.New("the path's percent-encodings must use upper-case hex digits")
	errEncodedPlain   = errors.New("the path must not percent-encode letters, digits or -._~")
	errDisallowed     = errors.New("the path has a character that must be percent-encoded (RFC 3986 section 3.3)")
	errUTF8           = errors.New("the path must decode to UTF-8")
	errDotSegment     = errors.New("the path must not contain dot segments or empty segments")
	errMismatch       = errors.New("the request's path and raw path differ")
)

// requestPath returns the request's decoded path, on which the gateway
// routes, after checking the path as the client sent it with checkPath.
// net/url keeps that spelling in RawPath when it differs from Path's
// default encoding, and otherwise it is exactly EscapedPath.
//
// For an accepted path EscapedPath returns the checked spelling, and
// httputil.ProxyRequest.SetURL forwards EscapedPath: the upstream receives
// the bytes that were checked.
func requestPath(u *url.URL) (string, error) {
	raw := u.RawPath
	if raw == "" {
		raw = u.EscapedPath()
	}
	decoded, err := checkPath(raw)
	if err != nil {
		return "", err
	}
	// Only a URL built by hand, not one net/http parsed, can carry a
	// RawPath that does not decode to its Path.
	if decoded != u.Path {
		return "", errMismatch
	}
	return decoded, nil
}

// checkPath accepts raw, a path as sent on the wire, only in its one
// canonical spelling (RFC 3986 sections 3.3 and 6.2.2) and returns it
// decoded. It must be absolute and made of segments of unreserved
// characters, sub-delimiters other than ';', ':' and '@', and
// percent-encodings with upper-case hex digits of bytes outside the
// unreserved set. It refuses encoded '/', '\', ';', '%', '?' and '#',
// which decoders disagree on, control characters and whitespace raw or
// encoded, a decoding that is not UTF-8, a non-ASCII character whose NFKC
// form holds ASCII (compatibility forms of '.', '/', letters, spaces), and
// dot segments and empty segments (a trailing slash is allowed).
func checkPath(raw string) (string, error) {
	if !strings.HasPrefix(raw, "/") {
		return "", errNotAbsolute
	}
	escapes := false
	segment := 1 // start of the current segment
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '/':
			if i > 0 && !validSegment(raw[segment:i]) {
				return "", errDotSegment
			}
			segment = i + 1
		case c == '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", errBadEscape
			}
			if isLowerHex(raw[i+1]) || isLowerHex(raw[i+2]) {
				return "", errLowerHex
			}
			if err := checkEscaped(unhex(raw[i+1])<<4 | unhex(raw[i+2])); err != nil {
				return "", err
			}
			escapes = true
			i += 2
		case c == ';':
			return "", errSemicolon
		case c < ' ' || c == 0x7f:
			return "", errControl
		case c == '\\':
			return "", errBackslash
		case !pchar(c):
			return "", errDisallowed
		}
	}
	// The last segment may be empty: a trailing slash, or the root.
	if last := raw[segment:]; last != "" && !validSegment(last) {
		return "", errDotSegment
	}
	if !escapes {
		return raw, nil
	}
	// Every escape was checked above, so unescaping cannot fail.
	decoded, _ := url.PathUnescape(raw)
	if !utf8.ValidString(decoded) {
		// Overlong forms such as %C0%AE ('.') are not UTF-8 either.
		return "", errUTF8
	}
	for _, r := range decoded {
		if err := checkRune(r); err != nil {
			return "", err
		}
	}
	return decoded, nil
}

// checkEscaped refuses the bytes that must not appear percent-encoded.
func checkEscaped(b byte) error {
	switch {
	case b == ' ' || '\t' <= b && b <= '\r':
		// Trimmed or split on by some servers and logs.
		return errSpace
	case b < ' ' || b == 0x7f:
		return errControl
	case b == '/':
		return errEncodedSlash
	case b == '\\':
		return errBackslash
	case b == ';':
		return errSemicolon
	case b == '%':
		// Decoded once it is "%2e"; an upstream that decodes twice
		// would see a dot segment the gateway never saw.
		return errEncodedPercent
	case b == '?':
		// A hop that decodes and forwards again starts a query here.
		return errEncodedQuery
	case b == '#':
		return errEncodedHash
	case unreserved(b):
		return errEncodedPlain
	}
	return nil
}

// checkRune refuses a non-ASCII character of a decoded path that upstreams
// could read as another: C1 controls, Unicode whitespace, and characters
// that NFKC normalisation maps to a string holding ASCII. The last covers
// the compatibility forms of '.', '/' and '\' (U+FF0E, U+2024, U+2025,
// U+FE52, U+FF0F, U+FF3C, U+FE68, ...), which make dot segments and
// separators the gateway never saw, and full-width letters, which would
// spell a route's path ("/users/ａｄｍｉｎ") without matching it. It uses
// the Unicode tables rather than a list so that no compatibility form is
// missed. The slashes in lookalikes have no NFKC mapping but Windows
// best-fit code page conversion turns some into '/' or '\'.
func checkRune(r rune) error {
	switch {
	case r < utf8.RuneSelf:
		return nil
	case unicode.IsControl(r):
		return errControl
	case unicode.IsSpace(r):
		return errSpace
	case strings.ContainsRune(lookalikes, r):
		return errCompatibility
	}
	var buf [utf8.UTFMax]byte
	for _, c := range norm.NFKC.Bytes(buf[:utf8.EncodeRune(buf[:], r)]) {
		if c < utf8.RuneSelf {
			return errCompatibility
		}
	}
	return nil
}

// lookalikes are the solidus forms without an NFKC mapping to ASCII:
// division slash, fraction slash, big solidus and big reverse solidus.
const lookalikes = "\u2215\u2044\u29f8\u29f9"

// validSegment reports whether a segment between two slashes may be
// routed: not empty and not a dot segment. Encoded dots are refused
// before this, as encoded unreserved characters.
func validSegment(s string) bool {
	return s != "" && s != "." && s != ".."
}

// unreserved reports whether c is an RFC 3986 section 2.3 unreserved
// character, which has one spelling only: itself.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// pchar reports whether c may appear unencoded in a path segment (RFC 3986
// section 3.3); ';' is refused before this is asked.
func pchar(c byte) bool {
	return unreserved(c) || strings.IndexByte("!$&'()*+,=:@", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isLowerHex(c byte) bool { return 'a' <= c && c <= 'f' }

// unhex decodes an upper-case hex digit.
func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}
