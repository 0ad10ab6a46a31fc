package authserver_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/connectors/ldap"
	"github.com/portcullis/portcullis/connectors/ldap/ldaptest"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// The test directory: carol, in the admins and staff groups.
const carolPW = "carol-pw"

// directoryConnector is an LDAP connector to a directory (ldaptest) that
// knows carol, or, when down, to a port where no directory listens.
func directoryConnector(t *testing.T, down bool) *ldap.Connector {
	t.Helper()
	url, dn, pw := "ldap://"+ldaptest.FreeAddr(t), ldaptest.ServiceDN, ldaptest.ServicePassword
	if !down {
		url, dn, pw = ldaptest.Start(t,
			[]ldaptest.User{{UID: "carol", Password: carolPW, Mail: "carol@example.com", Name: "Carol"}},
			[]ldaptest.Group{{Name: "admins", Members: []string{"carol"}}, {Name: "staff", Members: []string{"carol"}}})
	}
	c, err := ldap.New(ldap.Config{URL: url, BindDN: dn, BindPassword: pw,
		UserSearch: ldap.UserSearch{BaseDN: ldaptest.PeopleDN}, GroupSearch: ldap.GroupSearch{BaseDN: ldaptest.GroupsDN}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// directoryRules create users, keep their groups in the groups claim and
// make the directory's admins Portcullis admins.
var directoryRules = users.FederationRules{CreateUsers: true, GroupsClaim: true, Roles: map[string][]string{"admin": {"admins"}}}

// withDirectory adds the connector "dir" to a federation's down server.
func withDirectory(t *testing.T, down bool) func(*authserver.Config) {
	conn := directoryConnector(t, down)
	return func(c *authserver.Config) {
		c.Connectors = append(c.Connectors, authserver.Connector{ID: "dir", Name: "Directory", Password: conn, Rules: directoryRules})
	}
}

// directoryForm follows the login page's "Continue with Directory" to the
// directory's form alone and fills it.
func directoryForm(t *testing.T, b *browser, p page, username, password string) page {
	t.Helper()
	p = b.continueWith(p, "dir")
	if !strings.Contains(p.body, `name="connector" value="dir"`) || strings.Contains(p.body, "Continue with") {
		t.Fatalf("want the directory's form alone: %s", p.body)
	}
	form := authservertest.HiddenFields(p.body)
	form.Set("username", username)
	form.Set("password", password)
	return b.post(b.as.URL+"/login", form)
}

// TestDirectorySignIn: a directory connector's form on the sign-in page,
// against an LDAP directory: the right password signs in a new user (amr
// fed, groups claim, the admin role by group), a wrong password or an
// unknown user gets the wrong-password message, a directory that is down
// the 502 page with the request ID.
func TestDirectorySignIn(t *testing.T) {
	for _, tt := range []struct {
		name               string
		down               bool
		username, password string
		status             int
		want               string
	}{
		{name: "right password", username: "carol", password: carolPW, status: http.StatusSeeOther},
		{name: "wrong password", username: "carol", password: "nope", status: http.StatusOK, want: "Wrong username or password."},
		{name: "unknown user", username: "mallory", password: carolPW, status: http.StatusOK, want: "Wrong username or password."},
		{name: "directory down", down: true, username: "carol", password: carolPW, status: http.StatusBadGateway, want: "Request ID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFederation(t, users.FederationRules{CreateUsers: true}, withDirectory(t, tt.down))
			b := fedBrowser(t, f.down)
			fl := webFlow(f.down, "openid", "profile")
			p := directoryForm(t, b, b.get(fl.authURL()), tt.username, tt.password)
			if p.status != tt.status || !strings.Contains(p.body, tt.want) {
				t.Fatalf("got %d, want %d with %q: %s", p.status, tt.status, tt.want, p.body)
			}
			if id := p.header.Get(requestid.Header); tt.down && (id == "" || !strings.Contains(p.body, id)) {
				t.Errorf("the page does not name the request ID %q", id)
			}
			if tt.status != http.StatusSeeOther {
				return
			}
			claims := idClaims(t, f.down, fl, p)
			if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "fed" || claims["sub"] == ldaptest.DN("carol") {
				t.Errorf("claims = %v", claims)
			}
			if groups, _ := claims["groups"].([]any); !slices.Equal(groups, []any{"admins", "staff"}) {
				t.Errorf("groups claim = %v, want [admins staff]", claims["groups"])
			}
			u, err := f.down.Store.GetUser(context.Background(), claims["sub"].(string))
			if err != nil || !slices.Equal(u.Roles, []string{"admin"}) {
				t.Errorf("user's roles = %v (%v), want [admin]", u.Roles, err)
			}
		})
	}
}

// TestDirectoryThrottle: wrong passwords at the directory's form are
// throttled exactly as Portcullis passwords are: the same answers to the
// same attempts, ending in 429 with Retry-After even for the right
// password.
func TestDirectoryThrottle(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true}, withDirectory(t, false), frozenThrottles)
	// attempts posts seven wrong passwords then the right one with post,
	// and returns the statuses.
	attempts := func(post func(password string) page, right string) []int {
		var got []int
		for i := range 8 {
			pw := "wrong"
			if i == 7 {
				pw = right
			}
			p := post(pw)
			if p.status == http.StatusTooManyRequests && (p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many failed attempts")) {
				t.Errorf("429 without Retry-After or message: %s", p.body)
			}
			got = append(got, p.status)
		}
		return got
	}
	b := fedBrowser(t, f.down)
	login := b.get(webFlow(f.down, "openid").authURL())
	dir := attempts(func(pw string) page { return directoryForm(t, b, login, "carol", pw) }, carolPW)
	b = fedBrowser(t, f.down)
	login = b.get(webFlow(f.down, "openid").authURL())
	local := attempts(func(pw string) page { return b.login(login, f.down.Username, pw) }, f.down.Password)
	if !slices.Equal(dir, local) || dir[0] != http.StatusOK || dir[7] != http.StatusTooManyRequests {
		t.Fatalf("directory's answers %v, Portcullis passwords' %v: want the same, from 200 to 429", dir, local)
	}
}

// TestDirectoryDisabledUser: the right directory password of a disabled
// user gets the page a wrong password gets, never "Account disabled", and
// stays counted as a wrong one does, so repeated tries are throttled.
func TestDirectoryDisabledUser(t *testing.T) {
	f := newFederation(t, users.FederationRules{CreateUsers: true}, withDirectory(t, false), frozenThrottles)
	b := fedBrowser(t, f.down)
	fl := webFlow(f.down, "openid")
	claims := idClaims(t, f.down, fl, directoryForm(t, b, b.get(fl.authURL()), "carol", carolPW))
	sub, _ := claims["sub"].(string)
	if err := f.down.Store.UpdateUser(context.Background(), sub, func(u *store.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	b = fedBrowser(t, f.down)
	p := directoryForm(t, b, b.get(webFlow(f.down, "openid").authURL()), "carol", carolPW)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Wrong username or password.") || strings.Contains(strings.ToLower(p.body), "disabled") {
		t.Fatalf("disabled user's right password: got %d: %s", p.status, p.body)
	}
	login := b.get(webFlow(f.down, "openid").authURL())
	for range 8 {
		if p := directoryForm(t, b, login, "carol", carolPW); p.status == http.StatusTooManyRequests {
			return
		}
	}
	t.Fatal("a disabled user's right passwords are not counted: never throttled")
}
