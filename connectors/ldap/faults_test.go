package ldap

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/ldap/ldaptest"
)

// TestLoginFaults covers the logins that fail with an error: an outage
// (ErrUpstream) or an answer that cannot be used (ErrRefused). No error
// may hold a password.
func TestLoginFaults(t *testing.T) {
	tests := []struct {
		name               string
		dir                func() *ldaptest.Directory // nil: the default directory
		url                func(t *testing.T) string
		cfg                func(*Config)
		username, password string
		want               error
	}{
		{name: "directory down", url: closedPort, username: "alice", password: alicePW, want: connectors.ErrUpstream},
		{
			name: "directory hangs", url: func(t *testing.T) string { return "ldap://" + hang(t).addr },
			cfg:      func(c *Config) { c.Timeout = 200 * time.Millisecond },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "service account's wrong password", cfg: func(c *Config) { c.BindPassword = "not-" + servicePW },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "service account unknown", cfg: func(c *Config) { c.BindDN = "cn=nobody," + baseDN },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "anonymous searches not allowed", cfg: func(c *Config) { c.BindDN, c.BindPassword = "", "" },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "user_search.base_dn does not exist", cfg: func(c *Config) { c.UserSearch.BaseDN = "ou=staff," + baseDN },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "group_search.base_dn does not exist", cfg: func(c *Config) { c.GroupSearch.BaseDN = "ou=teams," + baseDN },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "a filter the directory cannot run", cfg: func(c *Config) { c.UserSearch.Filter = "(uid={username}*)" },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{
			name: "binds need TLS, the connection is plain", dir: func() *ldaptest.Directory { return &ldaptest.Directory{Entries: tree(), RequireTLS: true} },
			username: "alice", password: alicePW, want: connectors.ErrUpstream,
		},
		{name: "two entries for one username", username: "twin", password: "twin", want: connectors.ErrRefused},
		{
			name: "a filter that finds another entry too", username: "alice", password: alicePW,
			cfg: func(c *Config) { c.UserSearch.Filter = "(|(uid={username})(uid=bob))" }, want: connectors.ErrRefused,
		},
		{name: "the directory refuses the person's bind", username: "locked", password: lockedPW, want: connectors.ErrRefused},
		{
			name: "entry without the subject attribute", cfg: func(c *Config) { c.UserSearch.Attributes.Subject = "entryUUID" },
			username: "bob", password: bobPW, want: connectors.ErrRefused,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				url    string
				dialer Dialer // counts the connections to a directory
			)
			switch {
			case tt.url != nil:
				url = tt.url(t)
			case tt.dir != nil:
				d := tt.dir()
				url, dialer = d.Start(t), d
			default:
				d := &ldaptest.Directory{Entries: tree()}
				url, dialer = d.Start(t), d
			}
			cfg := testConfig(url)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			id, ok, err := newConnector(t, cfg, dialer).Login(context.Background(), tt.username, tt.password)
			if !errors.Is(err, tt.want) || ok {
				t.Fatalf("Login = %+v, ok %v, %v; want an error wrapping %v", id, ok, err, tt.want)
			}
			t.Log(err)
			for _, secret := range []string{tt.password, cfg.BindPassword, servicePW} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds a password", err)
				}
			}
		})
	}
}

// TestLoginCancelled asserts that a login whose caller gives up (the
// browser went away) ends, even while the directory never answers.
func TestLoginCancelled(t *testing.T) {
	h := hang(t)
	cfg := testConfig("ldap://" + h.addr)
	cfg.Timeout = time.Minute
	c := newConnector(t, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Login(ctx, "alice", alicePW)
		done <- err
	}()
	<-h.accepted
	cancel()
	if err := <-done; !errors.Is(err, connectors.ErrUpstream) {
		t.Fatalf("Login = %v, want ErrUpstream", err)
	}
}

// closedPort returns the URL of a port where no one listens.
func closedPort(t *testing.T) string {
	return "ldap://" + ldaptest.FreeAddr(t)
}

// hung is a directory that accepts connections and never answers.
type hung struct {
	addr     string
	accepted chan struct{} // one value per connection accepted
}

// hang starts a hung directory until the test ends.
func hang(t *testing.T) *hung {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hung{addr: l.Addr().String(), accepted: make(chan struct{}, 16)}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case h.accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return h
}
