package people_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

type linkPage struct {
	Items []registry.Link `json:"items"`
}

// TestLinks: a user's links are listed oldest first with their connector
// and upstream subject; removing one removes it alone (the user stays) and
// is audited; unknown users and links, another user's link, bad path
// values and a reader's token are refused.
func TestLinks(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	st := e.AS.Store
	a, b := e.CreateUser(t, "a"), e.CreateUser(t, "b")
	now := time.Now().UTC().Truncate(time.Second)
	// A subject with a slash and a space, as an LDAP DN or a URL may
	// have: the path carries it percent-encoded.
	dn := "uid=a,ou=people/eu,dc=example dc"
	for _, l := range []store.Link{
		{ConnectorID: "corp", Subject: dn, UserID: a.ID, CreatedAt: now.Add(-time.Hour)},
		{ConnectorID: "github", Subject: "1234", UserID: a.ID, CreatedAt: now},
		{ConnectorID: "github", Subject: "5678", UserID: b.ID, CreatedAt: now},
	} {
		if err := st.CreateLink(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}

	var p linkPage
	e.Must(t, admintest.Req{Method: "GET", Path: "users/" + a.ID + "/links", Scope: usersR}, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 2 || p.Items[0].ConnectorID != "corp" || p.Items[0].Subject != dn || !p.Items[0].CreatedAt.Equal(now.Add(-time.Hour)) ||
		p.Items[1].ConnectorID != "github" || p.Items[1].Subject != "1234" {
		t.Fatalf("links %+v, want corp's then github's", p.Items)
	}
	var none linkPage
	e.Must(t, admintest.Req{Method: "GET", Path: "users/" + e.CreateUser(t, "c").ID + "/links", Scope: usersR}, http.StatusOK).Decode(t, &none)
	if none.Items == nil || len(none.Items) != 0 {
		t.Errorf("a user without links: %+v, want an empty list", none.Items)
	}

	link := func(user, connector, subject string) string {
		return "users/" + user + "/links/" + url.PathEscape(connector) + "/" + url.PathEscape(subject)
	}
	for _, c := range []struct {
		name, method, path, scope string
		status                    int
		field                     string // the field a 400 names
	}{
		{"list an unknown user's", "GET", "users/nobody/links", usersR, http.StatusNotFound, ""},
		{"remove an unknown user's", "DELETE", link("nobody", "github", "1234"), usersW, http.StatusNotFound, ""},
		{"remove another user's link", "DELETE", link(a.ID, "github", "5678"), usersW, http.StatusNotFound, ""},
		{"remove an unknown subject", "DELETE", link(a.ID, "github", "9999"), usersW, http.StatusNotFound, ""},
		{"remove an unknown connector", "DELETE", link(a.ID, "gitlab", "1234"), usersW, http.StatusNotFound, ""},
		{"remove with the read scope", "DELETE", link(a.ID, "github", "1234"), usersR, http.StatusForbidden, ""},
		{"list without a token", "GET", "users/" + a.ID + "/links", "", http.StatusUnauthorized, ""},
		{"subject not UTF-8", "DELETE", link(a.ID, "github", "\xff"), usersW, http.StatusBadRequest, "subject"},
		{"subject with a control character", "DELETE", link(a.ID, "github", "12\n34"), usersW, http.StatusBadRequest, "subject"},
		{"connector too long", "DELETE", link(a.ID, strings.Repeat("x", 1025), "1234"), usersW, http.StatusBadRequest, "connector_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.Must(t, admintest.Req{Method: c.method, Path: c.path, Scope: c.scope}, c.status)
			switch c.status {
			case http.StatusNotFound:
				r.Problem(t)
			case http.StatusBadRequest:
				if pr := r.Problem(t); !admintest.Names(pr, c.field) {
					t.Errorf("the problem %+v does not name %s", pr, c.field)
				}
			}
		})
	}
	if got, _ := st.ListLinks(ctx, a.ID); len(got) != 2 {
		t.Fatalf("a refused request removed a link: %d left", len(got))
	}

	e.Must(t, admintest.Req{Method: "DELETE", Path: link(a.ID, "corp", dn), Scope: usersW}, http.StatusNoContent)
	if _, err := st.GetLink(ctx, "corp", dn); err == nil {
		t.Error("the removed link is still found")
	}
	for _, l := range [][2]string{{"github", "1234"}, {"github", "5678"}} {
		if _, err := st.GetLink(ctx, l[0], l[1]); err != nil {
			t.Errorf("link %v removed too: %v", l, err)
		}
	}
	if _, err := st.GetUser(ctx, a.ID); err != nil {
		t.Errorf("the user went with the link: %v", err)
	}
	evs := e.Audit(t, audit.LinkRemoved)
	if len(evs) != 1 || evs[0].Subject != a.ID || evs[0].Detail["connector"] != "corp" ||
		evs[0].Detail["upstream_subject"] != dn || evs[0].Detail["actor_client_id"] != "admin" {
		t.Errorf("audit %+v", evs)
	}
	e.Must(t, admintest.Req{Method: "DELETE", Path: link(a.ID, "corp", dn), Scope: usersW}, http.StatusNotFound)
}
