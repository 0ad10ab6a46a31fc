package clientaddr

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote string
		forwarded    []string
		want         string
	}{
		{"direct", "192.0.2.1:1234", nil, "192.0.2.1"},
		{"forwarded by an untrusted peer is ignored", "192.0.2.1:1234", []string{"198.51.100.7"}, "192.0.2.1"},
		{"forwarded by a trusted proxy", "10.0.0.2:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		{"last untrusted hop wins", "10.0.0.2:1234", []string{"203.0.113.9, 198.51.100.7, 10.0.0.3"}, "198.51.100.7"},
		{"several headers", "10.0.0.2:1234", []string{"203.0.113.9", "198.51.100.7"}, "198.51.100.7"},
		{"garbage hop stops the walk", "10.0.0.2:1234", []string{"198.51.100.7, junk"}, "10.0.0.2"},
		{"mapped IPv4", "[::ffff:192.0.2.1]:1234", nil, "192.0.2.1"},
		{"IPv6 peer", "[2001:db8::1]:1234", nil, "2001:db8::1"},
		{"IPv6 hop spelled long", "10.0.0.2:1234", []string{"2001:0db8:0:0::1"}, "2001:db8::1"},
		{"mapped hop", "10.0.0.2:1234", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"hop with spaces", "10.0.0.2:1234", []string{" 198.51.100.7 ,10.0.0.3"}, "198.51.100.7"},
		{"empty header stops the walk", "10.0.0.2:1234", []string{"198.51.100.7", ""}, "10.0.0.2"},
		{"every hop trusted", "10.0.0.2:1234", []string{"10.0.0.4, 10.0.0.3"}, "10.0.0.4"},
		{"unreadable peer", "pipe", nil, "invalid IP"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, f := range tt.forwarded {
			r.Header.Add("X-Forwarded-For", f)
		}
		if got := Of(r, proxies).String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
		want := tt.want
		if want == "invalid IP" {
			want = ""
		}
		if got := String(r, proxies); got != want {
			t.Errorf("%s: String = %q, want %q", tt.name, got, want)
		}
	}
}

// TestStringAllocs reads addresses as Go's server and proxies spell them
// without allocating.
func TestStringAllocs(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote, forwarded string
	}{
		{"IPv4 peer", "192.0.2.1:1234", ""},
		{"IPv6 peer", "[2001:db8::1]:1234", ""},
		{"forwarded", "10.0.0.2:1234", "203.0.113.9, 198.51.100.7, 10.0.0.3"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		if n := testing.AllocsPerRun(100, func() { String(r, proxies) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name string
		addr netip.Addr
		want string
	}{
		{"IPv4 by address", netip.MustParseAddr("192.0.2.1"), "192.0.2.1"},
		{"IPv6 by /64", netip.MustParseAddr("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64"},
		{"same /64, same key", netip.MustParseAddr("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64"},
		{"zone ignored", netip.MustParseAddr("fe80::1%eth0"), "fe80::/64"},
		{"unknown", netip.Addr{}, "unknown"},
	}
	for _, tt := range tests {
		if got := Key(tt.addr); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

// ofJoined is Of as it was written first, joining and splitting the
// hops: the walk without splitting must agree with it.
func ofJoined(r *http.Request, trusted []netip.Prefix) netip.Addr {
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

// FuzzString checks that Of finds the address the joined walk finds, and
// that String always spells it as Addr.String does, whatever the peer and
// the forwarded hops say.
func FuzzString(f *testing.F) {
	f.Add("10.0.0.2:1234", "203.0.113.9, 198.51.100.7", "")
	f.Add("[::ffff:10.0.0.2]:1", "::ffff:198.51.100.7", "2001:0db8::1")
	f.Add("10.0.0.2:1", " , ", "10.0.0.9")
	f.Add("pipe", "", "")
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	f.Fuzz(func(t *testing.T, remote, first, second string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header["X-Forwarded-For"] = []string{first, second}
		a := Of(r, proxies)
		if ref := ofJoined(r, proxies); a != ref {
			t.Fatalf("Of = %v, the joined walk %v", a, ref)
		}
		want := ""
		if a.IsValid() {
			want = a.String()
		}
		if got := String(r, proxies); got != want {
			t.Fatalf("String = %q, Of = %q", got, want)
		}
	})
}
