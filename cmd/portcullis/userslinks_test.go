package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// TestCLIUsersLinks: users links lists a user's links to upstream
// identities, by username or ID; users unlink removes one alone (the user
// stays), is audited, and refuses another user's link and an unknown user.
func TestCLIUsersLinks(t *testing.T) {
	conf, st := revokeFixture(t)
	ctx := context.Background()
	var ada, bob userView
	cliJSON(t, &ada, "users", "add", "--config", conf, "--username", "ada")
	cliJSON(t, &bob, "users", "add", "--config", conf, "--username", "bob")
	now := time.Now().UTC().Truncate(time.Second)
	dn := "uid=ada,ou=people,dc=example"
	for _, l := range []store.Link{
		{ConnectorID: "corp", Subject: dn, UserID: ada.Sub, CreatedAt: now.Add(-time.Hour)},
		{ConnectorID: "github", Subject: "1001", UserID: ada.Sub, CreatedAt: now},
		{ConnectorID: "github", Subject: "2002", UserID: bob.Sub, CreatedAt: now},
	} {
		if err := st.CreateLink(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}

	for _, who := range []string{"ada", ada.Sub} {
		var listed []registry.Link
		cliJSON(t, &listed, "users", "links", "--config", conf, who)
		if len(listed) != 2 || listed[0].ConnectorID != "corp" || listed[0].Subject != dn || !listed[0].CreatedAt.Equal(now.Add(-time.Hour)) || listed[1].Subject != "1001" {
			t.Fatalf("links of %s: %+v", who, listed)
		}
	}
	if table := cli(t, nil, "users", "links", "--config", conf, "ada"); !hasRow(table, "corp", dn) || !hasRow(table, "github", "1001") {
		t.Errorf("the table:\n%s", table)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"another user's link", []string{"ada", "github", "2002"}, `no link to subject "2002" at connector "github"`},
		{"an unknown connector", []string{"ada", "gitlab", "1001"}, `no link to subject "1001" at connector "gitlab"`},
		{"an unknown user", []string{"nobody", "github", "1001"}, `no user with username or id "nobody"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if out := cliFails(t, nil, append([]string{"users", "unlink", "--config", conf}, c.args...)...); !strings.Contains(out, c.want) {
				t.Errorf("unlink %v: %s, want %s", c.args, out, c.want)
			}
		})
	}
	cliFails(t, nil, "users", "links", "--config", conf, "nobody")

	cli(t, nil, "users", "unlink", "--config", conf, "ada", "corp", dn)
	if _, err := st.GetLink(ctx, "corp", dn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the removed link survived: %v", err)
	}
	for _, s := range []string{"1001", "2002"} {
		if _, err := st.GetLink(ctx, "github", s); err != nil {
			t.Errorf("link %s removed too: %v", s, err)
		}
	}
	if _, err := st.GetUser(ctx, ada.Sub); err != nil {
		t.Errorf("the user went with the link: %v", err)
	}
	var events []struct {
		Subject string
		Detail  map[string]any `json:"detail"`
	}
	cliJSON(t, &events, "audit", "list", "--config", conf, "--type", "link_removed")
	if len(events) != 1 || events[0].Subject != ada.Sub || events[0].Detail["connector"] != "corp" || events[0].Detail["upstream_subject"] != dn {
		t.Errorf("link_removed events %+v", events)
	}
}
