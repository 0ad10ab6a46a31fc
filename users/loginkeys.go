package users

import (
	"net/netip"
	"strings"

	"github.com/portcullis/portcullis/internal/clientaddr"
)

// LoginKeys returns the throttle keys of a sign-in attempt: the account key
// names the account at the client's address, so that failures from one
// address lock the account there and nowhere else, and the address key
// names the address alone. Both share one address form: an IPv4 address
// as it is, an IPv6 address as its /64, so every address of one IPv6
// network counts as one client. A clientIP that is not an address (a test
// transport's) is used as it is.
func LoginKeys(username, clientIP string) (account, address string) {
	address = "ip:" + addressGroup(clientIP)
	return "user:" + strings.ToLower(username) + "\x00" + address, address
}

// addressGroup is the part of an address that identifies one client.
func addressGroup(clientIP string) string {
	ip, err := netip.ParseAddr(clientIP)
	if err != nil {
		return clientIP
	}
	return clientaddr.Key(ip)
}
