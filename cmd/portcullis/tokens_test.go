package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/registry"
)

// TestCLIOneTokenAndGrants revokes one access token by its jti and lists
// a user's grants, with the refusals of the flags that do not go together.
func TestCLIOneTokenAndGrants(t *testing.T) {
	conf, st := revokeFixture(t)
	ctx := context.Background()
	var u userView
	cliJSON(t, &u, "users", "add", "--config", conf, "--username", "ada")
	liveGrant(t, st, "g1", u.Sub, "web")

	var grants []registry.Grant
	cliJSON(t, &grants, "users", "grants", "--config", conf, "ada", "--live")
	if len(grants) != 1 || grants[0].ID != "g1" || grants[0].ClientID != "web" || grants[0].Subject != u.Sub {
		t.Errorf("users grants: %+v", grants)
	}
	cliJSON(t, &grants, "users", "grants", "--config", conf, "ada", "--client", "other")
	if len(grants) != 0 {
		t.Errorf("users grants --client other: %+v", grants)
	}

	exp := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	cli(t, nil, "tokens", "revoke", "--config", conf, "--jti", "jti-x", "--expires-at", exp, "--reason", "leaked")
	if revoked, err := st.IsRevoked(ctx, "jti-x"); err != nil || !revoked {
		t.Errorf("jti-x revoked: %v, %v", revoked, err)
	}
	if revoked, err := st.IsRevoked(ctx, "jti-g1"); err != nil || revoked {
		t.Errorf("revoking one jti revoked another: %v, %v", revoked, err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"jti with a subject", []string{"--jti", "j", "--subject", u.Sub}, "--jti alone"},
		{"nothing named", nil, "--jti"},
		{"expiry in the past", []string{"--jti", "j", "--expires-at", "2001-01-01T00:00:00Z"}, "--expires-at"},
		{"expiry without a jti", []string{"--client", "web", "--expires-at", exp}, "--expires-at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := cliFails(t, nil, append([]string{"tokens", "revoke", "--config", conf, "--reason", "r"}, tc.args...)...)
			if !strings.Contains(out, tc.want) {
				t.Errorf("output does not name %s:\n%s", tc.want, out)
			}
		})
	}
}
