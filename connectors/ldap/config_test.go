package ldap

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	valid := func() Config {
		return Config{
			URL:          "ldaps://ldap.example.org",
			BindDN:       serviceDN,
			BindPassword: servicePW,
			UserSearch:   UserSearch{BaseDN: peopleDN},
		}
	}
	tests := []struct {
		name string
		cfg  func(*Config)
		want string // a part of the error; empty: valid
	}{
		{name: "LDAPS"},
		{name: "StartTLS", cfg: func(c *Config) { c.URL, c.StartTLS = "ldap://ldap.example.org:389", true }},
		{name: "plain on loopback", cfg: func(c *Config) { c.URL = "ldap://127.0.0.1:10389" }},
		{name: "plain on localhost", cfg: func(c *Config) { c.URL = "ldap://localhost" }},
		{name: "plain on IPv6 loopback", cfg: func(c *Config) { c.URL = "ldap://[::1]:389" }},
		{name: "anonymous", cfg: func(c *Config) { c.BindDN, c.BindPassword = "", "" }},
		{name: "all set", cfg: func(c *Config) {
			c.CAFile, c.Timeout, c.EmailVerified = "/etc/ca.pem", 10*time.Second, true
			c.UserSearch = UserSearch{
				BaseDN: peopleDN, Filter: "(&(objectClass=user)(sAMAccountName={username}))", Scope: "one",
				Attributes: Attributes{Subject: "objectGUID", Username: "sAMAccountName", Email: "mail", Name: "displayName"},
			}
			c.GroupSearch = GroupSearch{BaseDN: groupsDN, Filter: "(memberUid={username})", Scope: "sub", NameAttribute: "cn"}
		}},

		{name: "no url", cfg: func(c *Config) { c.URL = "" }, want: "url: required"},
		{name: "http", cfg: func(c *Config) { c.URL = "https://ldap.example.org" }, want: "url: must be ldap:// or ldaps://"},
		{name: "ldapi", cfg: func(c *Config) { c.URL = "ldapi:///var/run/slapd" }, want: "url: must be"},
		{name: "no host", cfg: func(c *Config) { c.URL = "ldaps:///" }, want: "url: a host"},
		{name: "a DN in the url", cfg: func(c *Config) { c.URL = "ldaps://ldap.example.org/" + baseDN }, want: "url: a host"},
		{name: "a user in the url", cfg: func(c *Config) { c.URL = "ldaps://admin@ldap.example.org" }, want: "url: a host"},
		{name: "StartTLS on LDAPS", cfg: func(c *Config) { c.StartTLS = true }, want: "start_tls: refused with ldaps://"},
		{name: "plain on the network", cfg: func(c *Config) { c.URL = "ldap://ldap.example.org" }, want: "url: ldap:// without start_tls"},
		{name: "ca_file without TLS", cfg: func(c *Config) { c.URL, c.CAFile = "ldap://127.0.0.1", "/etc/ca.pem" }, want: "ca_file: needs"},
		{name: "bind_dn alone", cfg: func(c *Config) { c.BindPassword = "" }, want: "bind_dn and bind_password"},
		{name: "bind_password alone", cfg: func(c *Config) { c.BindDN = "" }, want: "bind_dn and bind_password"},
		{name: "bind_dn not a DN", cfg: func(c *Config) { c.BindDN = "portcullis" }, want: "bind_dn:"},
		{name: "no user base", cfg: func(c *Config) { c.UserSearch.BaseDN = "" }, want: "user_search.base_dn: required"},
		{name: "user base not a DN", cfg: func(c *Config) { c.UserSearch.BaseDN = "people" }, want: "user_search.base_dn:"},
		{name: "user filter without {username}", cfg: func(c *Config) { c.UserSearch.Filter = "(uid=alice)" }, want: "user_search.filter: must contain {username}"},
		{name: "user filter broken", cfg: func(c *Config) { c.UserSearch.Filter = "uid={username})(" }, want: "user_search.filter:"},
		{name: "user scope base", cfg: func(c *Config) { c.UserSearch.Scope = "base" }, want: "user_search.scope: sub or one"},
		{name: "group settings without a base", cfg: func(c *Config) { c.GroupSearch.Filter = "(member={dn})" }, want: "group_search.base_dn: required"},
		{name: "group base not a DN", cfg: func(c *Config) { c.GroupSearch.BaseDN = "groups" }, want: "group_search.base_dn:"},
		{
			name: "group filter without a placeholder",
			cfg:  func(c *Config) { c.GroupSearch = GroupSearch{BaseDN: groupsDN, Filter: "(cn=admins)"} },
			want: "group_search.filter: must contain {dn} or {username}",
		},
		{
			name: "group filter broken",
			cfg:  func(c *Config) { c.GroupSearch = GroupSearch{BaseDN: groupsDN, Filter: "(member={dn}"} },
			want: "group_search.filter:",
		},
		{
			name: "group scope",
			cfg:  func(c *Config) { c.GroupSearch = GroupSearch{BaseDN: groupsDN, Scope: "subtree"} },
			want: "group_search.scope: sub or one",
		},
		{name: "negative timeout", cfg: func(c *Config) { c.Timeout = -time.Second }, want: "timeout:"},
		{name: "timeout too long", cfg: func(c *Config) { c.Timeout = 2 * time.Minute }, want: "timeout:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNew covers what New adds to Validate: ca_file is read, and the
// defaults.
func TestNew(t *testing.T) {
	base := Config{URL: "ldaps://ldap.example.org:1636", UserSearch: UserSearch{BaseDN: peopleDN}}
	tests := []struct {
		name   string
		caFile string
		url    string // empty: base's
		want   string // a part of the error; empty: valid
	}{
		{name: "system roots"},
		{name: "ca_file missing", caFile: "/nonexistent/ca.pem", want: "ca_file:"},
		{name: "ca_file without a certificate", caFile: writePEM(t, "junk.pem", []byte("not PEM")), want: "ca_file:"},
		{name: "invalid settings", url: "ldaps://", want: "ldap: url:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			cfg.CAFile = tt.caFile
			if tt.url != "" {
				cfg.URL = tt.url
			}
			c, err := New(cfg, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New = %v, want %q", err, tt.want)
			case err != nil:
				return
			}
			if c.addr != "ldap.example.org:1636" || c.timeout != defaultTimeout || c.tls.RootCAs != nil || c.dialer == nil {
				t.Errorf("addr %q, timeout %v, RootCAs %v, dialer %v", c.addr, c.timeout, c.tls.RootCAs, c.dialer)
			}
		})
	}
}
