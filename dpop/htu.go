package dpop

import (
	"net/url"
	"strings"
)

// NormalizeURL returns the form of an htu value or a configured endpoint
// URL that proofs are compared in (RFC 9449 section 4.3: syntax- and
// scheme-based normalisation, RFC 3986 sections 6.2.2 and 6.2.3): scheme
// and host in lower case, the default port dropped, an empty path as "/",
// percent-encodings of unreserved characters decoded and the others in
// upper case. It reports false for anything but an absolute http or https
// URL without user information, query or fragment: an htu must carry
// none of those (section 4.2).
func NormalizeURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	// "https://:443" has a host but no name. An IPv6 zone (RFC 6874)
	// names an interface of one machine, never a URL a proof is for;
	// Hostname decodes its %25, which would not parse.
	if host == "" || strings.Contains(host, "%") {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host += ":" + port
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return scheme + "://" + host + normalizePath(p), true
}

// normalizedOrEmpty is NormalizeURL's result, or "" so that an invalid
// configured URL matches no proof.
func normalizedOrEmpty(raw string) string {
	u, _ := NormalizeURL(raw)
	return u
}

// normalizePath decodes the percent-encodings of unreserved characters
// and upper-cases the hex digits of the others (RFC 3986 sections 2.3 and
// 6.2.2.1-2); an invalid escape is kept as it is, so it can only match
// itself.
func normalizePath(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			b.WriteByte(p[i])
			continue
		}
		c := unhex(p[i+1])<<4 | unhex(p[i+2])
		if unreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(p[i+1 : i+3]))
		}
		i += 2
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
