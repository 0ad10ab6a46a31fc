package config

import (
	"slices"
	"testing"
)

// TestUserRoles: the file's users' roles reach users.Sync as written.
func TestUserRoles(t *testing.T) {
	doc := "issuer: http://127.0.0.1:8080\nstorage: sqlite://x.db\nusers:\n" +
		"  - {username: ops, password: longenough, roles: [admin]}\n" +
		"  - {username: eyes, password: longenough, roles: [viewer]}\n" +
		"  - {username: plain, password: longenough}\n"
	c, err := Parse([]byte(doc), "/", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := c.ConfiguredUsers()
	for i, want := range [][]string{{"admin"}, {"viewer"}, nil} {
		if !slices.Equal(got[i].Roles, want) {
			t.Errorf("%s: roles %q, want %q", got[i].Username, got[i].Roles, want)
		}
	}
}
