package github

import (
	"strings"
	"testing"
)

// FuzzNextLink: any Link header parses without panic, to a target that
// was in it.
func FuzzNextLink(f *testing.F) {
	f.Add(`<https://api.github.com/user/orgs?page=2>; rel="next", <https://api.github.com/user/orgs?page=5>; rel="last"`)
	f.Add(`<>; rel=next`)
	f.Add(`<a>;;rel="next"`)
	f.Fuzz(func(t *testing.T, header string) {
		if next := nextLink(header); next != "" && !strings.Contains(header, "<"+next+">") {
			t.Errorf("nextLink(%q) = %q, not a target of it", header, next)
		}
	})
}
