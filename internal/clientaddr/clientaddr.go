// Package clientaddr tells a request's client address behind trusted
// reverse proxies, and groups addresses into the keys that limits count
// by. The authorization server and the OAuth Agent both use it; neither
// imports the other.
package clientaddr

import (
	"net/http"
	"net/netip"
	"strings"
)

// Of is the client's address: the peer's, or, when the peer is one of
// trusted, the last X-Forwarded-For hop that is not. Headers from anyone
// else are ignored, since anyone can send them. The zero Addr means the
// peer address could not be read (r.RemoteAddr is not ip:port).
func Of(r *http.Request, trusted []netip.Prefix) netip.Addr {
	a, _ := find(r, trusted)
	return a
}

// String is Of's address as text (Addr.String), "" for the zero Addr. It
// allocates nothing when the request spells the address as String would,
// as Go's server and proxies do: the text is then the request's own.
func String(r *http.Request, trusted []netip.Prefix) string {
	a, text := find(r, trusted)
	if !a.IsValid() {
		return ""
	}
	var buf [64]byte
	if string(a.AppendTo(buf[:0])) == text {
		return text
	}
	return a.String()
}

// find is Of, with the address's spelling in the request. The hops are
// walked back from the last without splitting them into a new slice.
func find(r *http.Request, trusted []netip.Prefix) (netip.Addr, string) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, ""
	}
	ip, text := peer.Addr().Unmap(), r.RemoteAddr[:strings.LastIndexByte(r.RemoteAddr, ':')]
	text = strings.TrimSuffix(strings.TrimPrefix(text, "["), "]")
	if !isTrusted(trusted, ip) {
		return ip, text
	}
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for {
			hop := rest
			comma := strings.LastIndexByte(rest, ',')
			if comma >= 0 {
				hop, rest = rest[comma+1:], rest[:comma]
			}
			hop = strings.TrimSpace(hop)
			a, err := netip.ParseAddr(hop)
			if err != nil {
				return ip, text
			}
			if ip, text = a.Unmap(), hop; !isTrusted(trusted, ip) {
				return ip, text
			}
			if comma < 0 {
				break
			}
		}
	}
	return ip, text
}

func isTrusted(trusted []netip.Prefix, ip netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Key is what a per-address limit counts a's requests under: the address
// itself for IPv4, its /64 network for IPv6, since one subscriber is
// usually given a whole /64 and could otherwise take a fresh address per
// request; an IPv4-mapped IPv6 address counts as its IPv4 address. The
// zero Addr has the key "unknown".
func Key(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
