// Package outbound owns the HTTP client for URLs that OAuth clients choose
// (a client's jwks_uri today; webhooks and upstream providers later). Such
// a fetch must not become a way into the server's own network
// (server-side request forgery), so the client refuses non-public
// addresses when it connects and redirects to another host.
package outbound

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress refuses a connection to an address inside the
// server's own network.
var ErrForbiddenAddress = errors.New("outbound: address is loopback, link-local, private or reserved")

// ErrCrossHostRedirect refuses a redirect to another host or scheme.
var ErrCrossHostRedirect = errors.New("outbound: redirect to another host or scheme")

// NewClient returns the client for URLs that OAuth clients choose. Unless
// allowPrivate, an address that is not public is refused when the
// connection is made, after DNS resolution, so a name that resolves to a
// public address when looked up and to a private one when connecting (DNS
// rebinding) cannot slip through. A redirect must stay on the same scheme
// and host. No proxy is used: a proxy would connect on the server's behalf
// to addresses this check never sees.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		dialer.Control = refuseNonPublic
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:            dialer.DialContext,
			TLSHandshakeTimeout:    5 * time.Second,
			ResponseHeaderTimeout:  5 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
			IdleConnTimeout:        90 * time.Second,
			ForceAttemptHTTP2:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
				return ErrCrossHostRedirect
			}
			if len(via) >= 3 {
				return errors.New("outbound: more than 3 redirects")
			}
			return nil
		},
	}
}

// refuseNonPublic is a net.Dialer Control function: it runs for the
// resolved address of every connection attempt.
func refuseNonPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// nonPublic are ranges that IsGlobalUnicast and IsPrivate leave out but
// that no public key set lives in (RFC 6890 special-purpose registries).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // shared address space (carrier NAT)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
}

// nat64 is the well-known NAT64 prefix (RFC 6052), whose addresses stand
// for the IPv4 address in their last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// publicAddr reports whether a is a public unicast address: not loopback,
// link-local (cloud metadata services live there), private, unique local,
// multicast, unspecified or reserved, also when written as an IPv4-mapped
// or NAT64 IPv6 address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		return publicAddr(netip.AddrFrom4([4]byte(b[12:])))
	}
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
