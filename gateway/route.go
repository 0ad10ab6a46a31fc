package gateway

import (
	"cmp"
	"net/http"
	"slices"
)

// route is a configured route with its handler: the guard, the scope
// check and the proxy to the upstream.
type route struct {
	path    string
	methods []string
	handler http.Handler
	cookies bool // accepts the OAuth Agent's cookie (Route.Cookies)
}

// matches reports whether p is the route's path or lies below it,
// ignoring ASCII case: IIS, ASP.NET and case-insensitive file systems serve
// "/users/ADMIN" as "/users/admin", so the route that guards one must guard
// the other. The path is still forwarded as received.
func (rt *route) matches(p string) bool {
	n := len(rt.path)
	return rt.path == "/" || len(p) >= n && foldEqual(p[:n], rt.path) && (len(p) == n || p[n] == '/')
}

// foldEqual reports whether a and b are equal under ASCII case folding.
// strings.EqualFold folds Unicode too (the Kelvin sign to 'k'), which
// upstreams do not agree on, and would let strings of different lengths
// match.
func foldEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// allows reports whether method may use the route; GET also admits HEAD,
// as http.ServeMux does.
func (rt *route) allows(method string) bool {
	return len(rt.methods) == 0 || slices.Contains(rt.methods, method) ||
		method == http.MethodHead && slices.Contains(rt.methods, http.MethodGet)
}

// table holds the routes, longest path first, so that the first match is
// the most specific one.
type table []*route

func newTable(routes []*route) table {
	t := slices.Clone(routes)
	slices.SortStableFunc(t, func(a, b *route) int { return cmp.Compare(len(b.path), len(a.path)) })
	return t
}

// lookup returns the most specific route for the request's path and
// method. When no route admits the method but some match the path, it
// returns the methods they would admit, for a 405 answer.
func (t table) lookup(p, method string) (*route, []string) {
	var allow []string
	for _, rt := range t {
		if !rt.matches(p) {
			continue
		}
		if rt.allows(method) {
			return rt, nil
		}
		for _, m := range rt.methods {
			if !slices.Contains(allow, m) {
				allow = append(allow, m)
			}
		}
	}
	return nil, allow
}
