package ldap

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/ldap/ldaptest"
)

// testConfig is a connector's settings for the test directory at url.
func testConfig(url string) Config {
	return Config{
		URL:          url,
		BindDN:       serviceDN,
		BindPassword: servicePW,
		UserSearch:   UserSearch{BaseDN: peopleDN},
		GroupSearch:  GroupSearch{BaseDN: groupsDN},
	}
}

func newConnector(t *testing.T, cfg Config, dialer Dialer) *Connector {
	t.Helper()
	c, err := New(cfg, dialer)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestLogin(t *testing.T) {
	alice := connectors.Identity{
		Subject: aliceDN, Username: "alice", Email: "alice@example.org", Name: "Alice Liddell",
		Groups: []string{"admins", "developers"},
	}
	with := func(f func(*connectors.Identity)) connectors.Identity {
		id := alice
		f(&id)
		return id
	}
	tests := []struct {
		name               string
		anonymous          bool // the directory lets anonymous binds search
		cfg                func(*Config)
		username, password string
		want               connectors.Identity
	}{
		{name: "alice, her groups by member DN", username: "alice", password: alicePW, want: alice},
		{
			name: "bob, no mail", username: "bob", password: bobPW,
			want: connectors.Identity{Subject: bobDN, Username: "bob", Name: "Bob", Groups: []string{"developers"}},
		},
		{
			name: "username trimmed, matched without case, named by the entry", username: "  ALICE\t", password: alicePW,
			want: alice,
		},
		{
			name: "mail trusted as verified", cfg: func(c *Config) { c.EmailVerified = true },
			username: "alice", password: alicePW, want: with(func(id *connectors.Identity) { id.EmailVerified = true }),
		},
		{
			name: "no mail is never verified", cfg: func(c *Config) { c.EmailVerified = true },
			username: "bob", password: bobPW,
			want: connectors.Identity{Subject: bobDN, Username: "bob", Name: "Bob", Groups: []string{"developers"}},
		},
		{
			name: "subject from entryUUID", cfg: func(c *Config) { c.UserSearch.Attributes.Subject = "entryUUID" },
			username: "alice", password: alicePW, want: with(func(id *connectors.Identity) { id.Subject = aliceUUID }),
		},
		{
			name: "subject from a binary objectGUID, hex", cfg: func(c *Config) { c.UserSearch.Attributes.Subject = "objectguid" },
			username: "alice", password: alicePW, want: with(func(id *connectors.Identity) { id.Subject = aliceGUIDx }),
		},
		{
			name: "other attribute names", username: "Alice Liddell", password: alicePW,
			cfg: func(c *Config) {
				c.UserSearch.Filter = "(&(uid=*)(cn={username}))"
				c.UserSearch.Attributes = Attributes{Username: "cn", Email: "uid", Name: "mail"}
			},
			want: connectors.Identity{
				Subject: aliceDN, Username: "Alice Liddell", Email: "alice", Name: "alice@example.org",
				Groups: []string{"admins", "developers"},
			},
		},
		{
			name: "posix groups by memberUid", cfg: func(c *Config) { c.GroupSearch.Filter = "(memberUid={username})" },
			username: "alice", password: alicePW, want: with(func(id *connectors.Identity) { id.Groups = []string{"ops"} }),
		},
		{
			name: "no group search", cfg: func(c *Config) { c.GroupSearch = GroupSearch{} },
			username: "alice", password: alicePW, want: with(func(id *connectors.Identity) { id.Groups = nil }),
		},
		{
			name: "anonymous searches", anonymous: true,
			cfg:      func(c *Config) { c.BindDN, c.BindPassword = "", "" },
			username: "alice", password: alicePW, want: alice,
		},
		{
			name: "one level", cfg: func(c *Config) { c.UserSearch.Scope, c.GroupSearch.Scope = "one", "one" },
			username: "alice", password: alicePW, want: alice,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ldaptest.Directory{Entries: tree(), Anonymous: tt.anonymous}
			cfg := testConfig(d.Start(t))
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			id, ok, err := newConnector(t, cfg, d).Login(context.Background(), tt.username, tt.password)
			if err != nil || !ok {
				t.Fatalf("Login = ok %v, %v; want ok", ok, err)
			}
			if !reflect.DeepEqual(id, tt.want) {
				t.Errorf("identity\n got %+v\nwant %+v", id, tt.want)
			}
		})
	}
}

// TestLoginConversation asserts what the directory is asked, in order: the
// person's bind checks the password only; both searches are the service
// account's, the groups' after binding as it again.
func TestLoginConversation(t *testing.T) {
	d := ldaptest.Directory{Entries: tree()}
	c := newConnector(t, testConfig(d.Start(t)), &d)
	if _, ok, err := c.Login(context.Background(), "alice", alicePW); err != nil || !ok {
		t.Fatalf("Login = ok %v, %v", ok, err)
	}
	want := []string{
		"bind " + serviceDN,
		"search " + peopleDN + " (uid=alice) as " + serviceDN,
		"bind " + aliceDN,
		"bind " + serviceDN,
		"search " + groupsDN + " (member=" + aliceDN + ") as " + serviceDN,
	}
	if got := d.Log(); !slices.Equal(got, want) {
		t.Errorf("directory asked\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLoginNotOK covers the logins that fail without an error: the caller
// cannot tell an unknown user from a wrong password, by design.
func TestLoginNotOK(t *testing.T) {
	tests := []struct {
		name               string
		username, password string
		// silent: nothing may reach the directory; searchOnly: it is
		// searched but no one's entry is bound.
		silent, searchOnly bool
	}{
		{name: "wrong password", username: "alice", password: "not-" + alicePW},
		{name: "another's password", username: "alice", password: bobPW},
		{name: "unknown user", username: "carol", password: alicePW, searchOnly: true},
		{name: "empty password (an unauthenticated bind would succeed)", username: "alice", password: "", silent: true},
		{name: "blank username", username: " \t ", password: alicePW, silent: true},
		{name: "username too long", username: strings.Repeat("a", maxUsername+1), password: alicePW, silent: true},
		{name: "password too long", username: "alice", password: strings.Repeat("p", maxPassword+1), silent: true},
		{name: "username not UTF-8", username: "al\xffice", password: alicePW, silent: true},
		{name: "injection: a wildcard", username: "*", password: alicePW, searchOnly: true},
		{name: "injection: closes the filter", username: "*)(uid=*", password: alicePW, searchOnly: true},
		{name: "injection: an OR of everyone", username: "alice)(|(uid=*", password: alicePW, searchOnly: true},
		{name: "injection: a prefix", username: "al*", password: alicePW, searchOnly: true},
		{name: "injection: a NUL", username: "alice\x00", password: alicePW, searchOnly: true},
		{name: "injection: a backslash escape", username: `\61lice`, password: alicePW, searchOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ldaptest.Directory{Entries: tree()}
			c := newConnector(t, testConfig(d.Start(t)), &d)
			id, ok, err := c.Login(context.Background(), tt.username, tt.password)
			if err != nil || ok {
				t.Fatalf("Login = %+v, ok %v, %v; want not ok, no error", id, ok, err)
			}
			for _, op := range d.Log() {
				if tt.silent {
					t.Errorf("the directory was asked %q", op)
				}
				if tt.searchOnly && strings.HasPrefix(op, "bind ") && op != "bind "+serviceDN {
					t.Errorf("the directory was asked %q: only the service account may bind", op)
				}
			}
		})
	}
}
