package outbound

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		public bool
	}{
		{"IPv4 loopback", "127.0.0.1", false},
		{"IPv4 loopback elsewhere in 127/8", "127.1.2.3", false},
		{"IPv6 loopback", "::1", false},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", false},
		{"unspecified", "0.0.0.0", false},
		{"IPv6 unspecified", "::", false},
		{"private 10/8", "10.1.2.3", false},
		{"private 172.16/12", "172.20.0.1", false},
		{"private 192.168/16", "192.168.1.1", false},
		{"cloud metadata (link-local)", "169.254.169.254", false},
		{"IPv6 link-local", "fe80::1", false},
		{"IPv6 unique local", "fd00::1", false},
		{"carrier NAT", "100.64.0.1", false},
		{"benchmarking", "198.18.0.1", false},
		{"reserved", "240.0.0.1", false},
		{"broadcast", "255.255.255.255", false},
		{"multicast", "224.0.0.1", false},
		{"NAT64 of a private address", "64:ff9b::a00:1", false},
		{"NAT64 of a public address", "64:ff9b::808:808", true},
		{"public IPv4", "8.8.8.8", true},
		{"public IPv6", "2606:4700:4700::1111", true},
	}
	for _, tt := range tests {
		if got := publicAddr(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("%s: publicAddr(%s) = %v, want %v", tt.name, tt.addr, got, tt.public)
		}
	}
	if err := refuseNonPublic("tcp4", "10.0.0.1:443", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("dial to 10.0.0.1: %v, want ErrForbiddenAddress", err)
	}
	if err := refuseNonPublic("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("dial to 8.8.8.8: %v", err)
	}
}
