package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// TestCLIDisableUser disables and enables a user through the binary: users
// list shows the state in its table and in JSON, the audit trail records
// both changes with the reason, and a user of the configuration file can
// be disabled (which the next start does not undo) though not given a
// password.
func TestCLIDisableUser(t *testing.T) {
	ctx := context.Background()
	conf, st := revokeFixture(t)
	doc, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	doc = append(doc, "users: [{username: filed, password: file-password}]\n"...)
	if err := os.WriteFile(conf, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var ada userView
	if err := json.Unmarshal([]byte(cli(t, nil, "users", "add", "--config", conf, "--username", "ada", "--json")), &ada); err != nil {
		t.Fatal(err)
	}
	// What serve does at start for the file's users.
	filed := []users.Configured{{Username: "filed", Password: "file-password"}}
	if err := users.Sync(ctx, st, filed, time.Now()); err != nil {
		t.Fatal(err)
	}
	state := func() map[string]bool {
		t.Helper()
		var views []userView
		if err := json.Unmarshal([]byte(cli(t, nil, "users", "list", "--config", conf, "--json")), &views); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, v := range views {
			out[v.Username] = v.Disabled
		}
		return out
	}

	out := cli(t, nil, "users", "disable", "--config", conf, "ada", "--reason", "left the company")
	if !strings.Contains(out, "disabled user ada") {
		t.Errorf("users disable said %q", out)
	}
	if got := state(); !got["ada"] || got["filed"] {
		t.Errorf("users list --json after disabling ada: %v", got)
	}
	table := cli(t, nil, "users", "list", "--config", conf)
	if !strings.Contains(table, "STATE") || !hasRow(table, "ada", "disabled") || !hasRow(table, "filed", "enabled") {
		t.Errorf("users list table:\n%s", table)
	}

	cli(t, nil, "users", "disable", "--config", conf, "filed")
	if err := users.Sync(ctx, st, filed, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := state(); !got["filed"] {
		t.Error("starting the server enabled a file user disabled from the CLI")
	}
	if out := cliFails(t, nil, "users", "set-password", "--config", conf, "filed"); !strings.Contains(out, "defined in the configuration file") {
		t.Errorf("set-password of a file user: %q", out)
	}

	if out := cli(t, nil, "users", "enable", "--config", conf, "ada"); !strings.Contains(out, "enabled user ada") {
		t.Errorf("users enable said %q", out)
	}
	if out := cli(t, nil, "users", "enable", "--config", conf, "ada"); !strings.Contains(out, "was not disabled") {
		t.Errorf("users enable of an enabled user said %q", out)
	}
	if got := state(); got["ada"] || !got["filed"] {
		t.Errorf("users list --json after enabling ada: %v", got)
	}

	events, err := st.ListAudit(ctx, store.AuditFilter{Subject: ada.Sub})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, e := range events {
		types[e.Type]++
		if e.Type == "user_disabled" && (e.Detail["reason"] != "left the company" || e.Detail["username"] != "ada") {
			t.Errorf("user_disabled event %+v", e)
		}
	}
	if types["user_disabled"] != 1 || types["user_enabled"] != 1 {
		t.Errorf("audit events of ada: %v, want one user_disabled and one user_enabled", types)
	}
}

// TestCLIUserHelpSaysRevoke: the commands that revoke a user's tokens say
// so in their help.
func TestCLIUserHelpSaysRevoke(t *testing.T) {
	for _, cmd := range []string{"set-password", "delete", "disable"} {
		t.Run(cmd, func(t *testing.T) {
			out := cli(t, nil, "users", cmd, "--help")
			if !strings.Contains(out, "every token issued to them") || !strings.Contains(out, "is revoked") {
				t.Errorf("users %s --help:\n%s", cmd, out)
			}
		})
	}
}

// hasRow reports whether a line of text starts with first and has word
// as one of its columns.
func hasRow(text, first, word string) bool {
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == first && strings.Contains(" "+strings.Join(f, " ")+" ", " "+word+" ") {
			return true
		}
	}
	return false
}
