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
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := peer.Addr().Unmap()
	if !isTrusted(trusted, ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if ip = hop.Unmap(); !isTrusted(trusted, ip) {
			break
		}
	}
	return ip
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
