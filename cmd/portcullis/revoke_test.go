package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// revokeFixture is a configuration on a fresh SQLite file, and the store
// on that file, shared with the CLI processes the test runs.
func revokeFixture(t *testing.T) (conf string, st store.Store) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "portcullis.db")
	conf = filepath.Join(dir, "portcullis.yaml")
	doc := fmt.Sprintf("issuer: http://127.0.0.1:8080\nstorage: sqlite://%s\napis: [{identifier: \"https://api.example.com\", scopes: [a]}]\n", db)
	if err := os.WriteFile(conf, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return conf, st
}

// liveGrant records a grant of user at client with a refresh token and an
// access token, and a sign-on session of user, as a sign-in would.
func liveGrant(t *testing.T, st store.Store, id, user, client string) {
	t.Helper()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := st.CreateGrant(ctx, store.Grant{ID: id, UserID: user, ClientID: client, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	rt := store.RefreshToken{Hash: "rt-" + id, GrantID: id, UserID: user, ClientID: client, ExpiresAt: exp}
	if err := st.IssueTokens(ctx, id, "jti-"+id, exp, &rt); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, store.Session{IDHash: "session-" + id, UserID: user, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
}

// revokedNow checks what revoking everything of client or user left: the
// grant's refresh token revoked, its access token on the list, a cutoff
// after before (the moment the command started) and, for a user, no
// session.
func revokedNow(t *testing.T, st store.Store, grant, client, user string, before time.Time) {
	t.Helper()
	ctx := context.Background()
	if rt, err := st.GetRefreshToken(ctx, "rt-"+grant); err != nil || rt.RevokedAt.IsZero() {
		t.Errorf("refresh token of %s not revoked: %v", grant, err)
	}
	if ok, _ := st.IsRevoked(ctx, "jti-"+grant); !ok {
		t.Errorf("access token of %s not revoked", grant)
	}
	// Every token issued until the command returned (now) is before the
	// cutoff, client credentials tokens included.
	if nb, err := st.NotBefore(ctx, client, user); err != nil || !nb.After(before) || nb.After(time.Now()) {
		t.Errorf("cutoff of %s/%s = %v, %v; want after %v and passed when the command returned", client, user, nb, err, before)
	}
	if user != "" {
		if _, err := st.GetSession(ctx, "session-"+grant, time.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session of %s survived: %v", user, err)
		}
	}
}

// TestCLIRevokesEverything runs each command that must revoke everything
// of a client or a user, through the binary, on a store it shares.
func TestCLIRevokesEverything(t *testing.T) {
	ctx := context.Background()
	t.Run("tokens revoke --client", func(t *testing.T) {
		conf, st := revokeFixture(t)
		liveGrant(t, st, "g1", "u1", "svc")
		before := time.Now()
		var out struct {
			RevokedGrants int   `json:"revoked_grants"`
			NotBefore     int64 `json:"not_before"`
		}
		if err := json.Unmarshal([]byte(cli(t, nil, "tokens", "revoke", "--config", conf, "--client", "svc", "--reason", "test", "--json")), &out); err != nil {
			t.Fatal(err)
		}
		if out.RevokedGrants != 1 || out.NotBefore <= before.Unix() {
			t.Errorf("tokens revoke answered %+v", out)
		}
		revokedNow(t, st, "g1", "svc", "", before)
		if _, err := st.GetSession(ctx, "session-g1", time.Now()); err != nil {
			t.Error("revoking a client ended a user's session")
		}
	})
	t.Run("tokens revoke --subject", func(t *testing.T) {
		conf, st := revokeFixture(t)
		liveGrant(t, st, "g1", "u1", "svc")
		before := time.Now()
		cli(t, nil, "tokens", "revoke", "--config", conf, "--subject", "u1", "--reason", "test")
		revokedNow(t, st, "g1", "", "u1", before)
	})
	t.Run("clients delete, then create again", func(t *testing.T) {
		conf, st := revokeFixture(t)
		cli(t, nil, "clients", "create", "--config", conf, "--id", "svc", "--scopes", "a")
		liveGrant(t, st, "g1", "u1", "svc")
		before := time.Now()
		cli(t, nil, "clients", "delete", "--config", conf, "svc")
		cli(t, nil, "clients", "create", "--config", conf, "--id", "svc", "--scopes", "a")
		revokedNow(t, st, "g1", "svc", "", before)
	})
	for _, cmd := range [][]string{{"users", "set-password"}, {"users", "delete"}, {"users", "disable"}} {
		t.Run(cmd[0]+" "+cmd[1], func(t *testing.T) {
			conf, st := revokeFixture(t)
			var u userView
			if err := json.Unmarshal([]byte(cli(t, nil, "users", "add", "--config", conf, "--username", "ada", "--json")), &u); err != nil {
				t.Fatal(err)
			}
			liveGrant(t, st, "g1", u.Sub, "web")
			before := time.Now()
			cli(t, nil, append(cmd, "--config", conf, "ada")...)
			revokedNow(t, st, "g1", "", u.Sub, before)
		})
	}
}
