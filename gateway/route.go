package gateway

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// route is a configured route with its handler: the guard, the scope
// check and the proxy to the upstream.
type route struct {
	path    string
	methods []string
	handler http.Handler
	cookies bool // accepts the OAuth Agent's cookie (Route.Cookies)
}

// matches reports whether p is the route's path or lies below it.
func (rt *route) matches(p string) bool {
	return rt.path == "/" || p == rt.path || strings.HasPrefix(p, rt.path) && p[len(rt.path)] == '/'
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
