package gateway

import (
	"slices"
	"testing"
)

func TestLookup(t *testing.T) {
	routes := newTable([]*route{
		{path: "/"},
		{path: "/users", methods: []string{"GET"}},
		{path: "/users/admin", methods: []string{"GET", "POST"}},
		{path: "/reports", methods: []string{"POST"}},
	})
	tests := []struct {
		name     string
		path     string
		method   string
		wantPath string
	}{
		{name: "exact", path: "/users", method: "GET", wantPath: "/users"},
		{name: "below", path: "/users/42", method: "GET", wantPath: "/users"},
		{name: "trailing slash", path: "/users/", method: "GET", wantPath: "/users"},
		{name: "most specific wins", path: "/users/admin/7", method: "GET", wantPath: "/users/admin"},
		{name: "prefix of a segment does not match", path: "/usersx", method: "GET", wantPath: "/"},
		{name: "HEAD with GET", path: "/users", method: "HEAD", wantPath: "/users"},
		{name: "method falls through to a less specific route", path: "/users/admin", method: "DELETE", wantPath: "/"},
		{name: "root", path: "/other", method: "PATCH", wantPath: "/"},
		{name: "upper case", path: "/USERS/42", method: "GET", wantPath: "/users"},
		{name: "upper case, most specific", path: "/users/ADMIN", method: "GET", wantPath: "/users/admin"},
		{name: "mixed case below", path: "/Users/AdMiN/7", method: "POST", wantPath: "/users/admin"},
		{name: "Unicode case folding not applied", path: "/u\u017fers", method: "GET", wantPath: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, allow := routes.lookup(tt.path, tt.method)
			if rt == nil || rt.path != tt.wantPath || allow != nil {
				t.Errorf("lookup(%s %s) = %v, %v; want %s", tt.method, tt.path, rt, allow, tt.wantPath)
			}
		})
	}

	// Without the catch-all route, misses are told apart.
	noRoot := newTable(slices.DeleteFunc(slices.Clone(routes), func(r *route) bool { return r.path == "/" }))
	for _, tt := range []struct {
		name      string
		path      string
		method    string
		wantAllow []string
	}{
		{name: "method not allowed", path: "/users/admin", method: "DELETE", wantAllow: []string{"GET", "POST"}},
		{name: "no route", path: "/nothing", method: "GET"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt, allow := noRoot.lookup(tt.path, tt.method)
			slices.Sort(allow)
			if rt != nil || !slices.Equal(allow, tt.wantAllow) {
				t.Errorf("lookup = %v, %q; want nil, %q", rt, allow, tt.wantAllow)
			}
		})
	}
}
