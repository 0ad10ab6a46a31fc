package connectors

import (
	"net"
	"net/url"
)

// SecureURL reports whether raw may name an upstream: an absolute URL
// without query, fragment or user information, over https, or http only
// on a loopback host (development and tests), where nobody else can read
// or answer the traffic.
func SecureURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http" && Loopback(u.Hostname())
}

// Loopback reports whether host (a name or an IP address, without port)
// is this machine: localhost or a loopback address.
func Loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
