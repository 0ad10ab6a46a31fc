package ldap

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/portcullis/portcullis/connectors"
)

// Config is one LDAP directory, as written under connectors: in the
// configuration (the lead's config package adds id and name).
//
// There is no insecure_skip_verify: the people's passwords cross this
// connection, so the directory's certificate is always verified, against
// CAFile or the system roots. A directory with a self-signed certificate
// is trusted by naming that certificate as ca_file.
type Config struct {
	// URL is the directory: ldaps://host[:636], or ldap://host[:389] with
	// StartTLS. Plain ldap:// without StartTLS is accepted only on a
	// loopback host (a directory on the same machine or in the same pod),
	// since passwords would otherwise cross the network in clear. No path,
	// query or user: the base DNs are set below.
	URL string `yaml:"url"`
	// StartTLS upgrades an ldap:// connection to TLS before anything else
	// is sent (RFC 4511 section 4.14). Refused with ldaps://, which is TLS
	// already.
	StartTLS bool `yaml:"start_tls"`
	// CAFile is a PEM file of the CA certificates that the directory's
	// certificate must chain to, for LDAPS and StartTLS. Empty means the
	// system roots. It is read once, by New.
	CAFile string `yaml:"ca_file"`
	// BindDN and BindPassword are the service account that searches the
	// directory. Both empty means anonymous searches (RFC 4513 section
	// 5.1.1), which some directories allow: it works, but anyone who can
	// reach the directory can then read what Portcullis reads. One without
	// the other is refused.
	BindDN       string `yaml:"bind_dn"`
	BindPassword string `yaml:"bind_password"`
	// UserSearch finds the entry of the person signing in.
	UserSearch UserSearch `yaml:"user_search"`
	// GroupSearch finds the person's groups. Its zero value (no base_dn)
	// means no group search: the identity has no groups.
	GroupSearch GroupSearch `yaml:"group_search"`
	// Timeout bounds one whole login: connecting, TLS, the binds and the
	// searches. Zero means 5 seconds; at most one minute.
	Timeout time.Duration `yaml:"timeout"`
	// EmailVerified says that the directory's mail attribute is trusted as
	// verified (the directory's operators set it, people cannot). False,
	// the default, makes every identity's EmailVerified false, so that
	// linking by email never trusts it.
	EmailVerified bool `yaml:"email_verified"`
}

// UserSearch is how the person's entry is found (RFC 4511 section 4.5).
type UserSearch struct {
	// BaseDN is where the search starts, e.g. ou=people,dc=example,dc=org.
	// Required.
	BaseDN string `yaml:"base_dn"`
	// Filter finds the entry (RFC 4515). {username} is replaced by the
	// username typed, trimmed and escaped (RFC 4515 section 3), so that it
	// can never change the filter's shape. Empty means (uid={username});
	// Active Directory wants e.g. (sAMAccountName={username}). It must
	// contain {username}, and must find one entry: two are refused as
	// ambiguous.
	Filter string `yaml:"filter"`
	// Scope is sub (the whole subtree, the default when empty) or one (the
	// base DN's children only).
	Scope string `yaml:"scope"`
	// Attributes names the attributes that make the identity.
	Attributes Attributes `yaml:"attributes"`
}

// Attributes names the entry's attributes that make a
// connectors.Identity. An empty name means the default given.
type Attributes struct {
	// Subject is the attribute whose value is the stable upstream subject.
	// Empty means the entry's DN, which changes when the entry is renamed
	// or moved; a unique ID such as entryUUID (RFC 4530) or Active
	// Directory's objectGUID survives both and is better. Binary values
	// (objectGUID always) are hex-encoded.
	Subject string `yaml:"subject"`
	// Username is the preferred username; empty means uid. When the entry
	// lacks it, the username typed is used.
	Username string `yaml:"username"`
	// Email is the address; empty means mail.
	Email string `yaml:"email"`
	// Name is the display name; empty means cn.
	Name string `yaml:"name"`
}

// GroupSearch is how the person's groups are found, as the service
// account, after the password check.
type GroupSearch struct {
	// BaseDN is where the search starts, e.g. ou=groups,dc=example,dc=org.
	// Empty means no group search.
	BaseDN string `yaml:"base_dn"`
	// Filter finds the groups the person is in (RFC 4515). {dn} is
	// replaced by the person's entry DN and {username} by their username
	// attribute (or the username typed), both escaped. Empty means
	// (member={dn}); posixGroup wants (memberUid={username}). It must
	// contain {dn} or {username}.
	Filter string `yaml:"filter"`
	// Scope is sub (the default when empty) or one, as in UserSearch.
	Scope string `yaml:"scope"`
	// NameAttribute is the group entry's attribute whose first value is
	// the group's name in Identity.Groups; empty means cn.
	NameAttribute string `yaml:"name_attribute"`
}

// Defaults of the settings whose zero value means a default.
const (
	defaultTimeout     = 5 * time.Second
	maxTimeout         = time.Minute
	defaultUserFilter  = "(uid={username})"
	defaultGroupFilter = "(member={dn})"
	defaultUsernameAt  = "uid"
	defaultEmailAt     = "mail"
	defaultNameAt      = "cn"
	defaultGroupNameAt = "cn"
)

// Placeholders of the filters.
const (
	placeholderUsername = "{username}"
	placeholderDN       = "{dn}"
)

// Validate reports the first setting that is missing or wrong, named by
// its YAML key. It does not read ca_file: New does.
func (c Config) Validate() error {
	u, err := c.url()
	if err != nil {
		return err
	}
	if u.Scheme == "ldaps" && c.StartTLS {
		return errors.New("start_tls: refused with ldaps://, which is TLS already")
	}
	if u.Scheme == "ldap" && !c.StartTLS {
		if !connectors.Loopback(u.Hostname()) {
			return errors.New("url: ldap:// without start_tls is accepted only on a loopback host: passwords would cross the network in clear")
		}
		if c.CAFile != "" {
			return errors.New("ca_file: needs ldaps:// or start_tls")
		}
	}
	if (c.BindDN == "") != (c.BindPassword == "") {
		return errors.New("bind_dn and bind_password: both or neither (neither means anonymous searches)")
	}
	if c.BindDN != "" {
		if _, err := goldap.ParseDN(c.BindDN); err != nil {
			return fmt.Errorf("bind_dn: %w", err)
		}
	}
	if err := c.UserSearch.validate(); err != nil {
		return fmt.Errorf("user_search.%w", err)
	}
	if err := c.GroupSearch.validate(); err != nil {
		return fmt.Errorf("group_search.%w", err)
	}
	if c.Timeout < 0 || c.Timeout > maxTimeout {
		return fmt.Errorf("timeout: between 0 (meaning %v) and %v", defaultTimeout, maxTimeout)
	}
	return nil
}

// url parses and checks Config.URL.
func (c Config) url() (*url.URL, error) {
	if c.URL == "" {
		return nil, errors.New("url: required")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, errors.New("url: not a URL")
	}
	if u.Scheme != "ldap" && u.Scheme != "ldaps" {
		return nil, errors.New("url: must be ldap:// or ldaps://")
	}
	if u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("url: a host and optional port only (no user, path, query or fragment)")
	}
	return u, nil
}

func (s UserSearch) validate() error {
	if err := validBase(s.BaseDN); err != nil {
		return err
	}
	if err := validScope(s.Scope); err != nil {
		return err
	}
	f := s.filter()
	if !strings.Contains(f, placeholderUsername) {
		return errors.New("filter: must contain {username}")
	}
	return validFilter(f)
}

func (s GroupSearch) validate() error {
	if s.BaseDN == "" {
		if s.Filter != "" || s.Scope != "" || s.NameAttribute != "" {
			return errors.New("base_dn: required when any group_search setting is")
		}
		return nil
	}
	if err := validBase(s.BaseDN); err != nil {
		return err
	}
	if err := validScope(s.Scope); err != nil {
		return err
	}
	f := s.filter()
	if !strings.Contains(f, placeholderDN) && !strings.Contains(f, placeholderUsername) {
		return errors.New("filter: must contain {dn} or {username}")
	}
	return validFilter(f)
}

func validBase(dn string) error {
	if dn == "" {
		return errors.New("base_dn: required")
	}
	if _, err := goldap.ParseDN(dn); err != nil {
		return fmt.Errorf("base_dn: %w", err)
	}
	return nil
}

func validScope(s string) error {
	if s != "" && s != "sub" && s != "one" {
		return errors.New("scope: sub or one")
	}
	return nil
}

// validFilter compiles f with its placeholders filled, as Login will.
func validFilter(f string) error {
	f = strings.NewReplacer(placeholderUsername, "x", placeholderDN, "x").Replace(f)
	if _, err := goldap.CompileFilter(f); err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	return nil
}

func (s UserSearch) filter() string  { return or(s.Filter, defaultUserFilter) }
func (s GroupSearch) filter() string { return or(s.Filter, defaultGroupFilter) }

// scope maps a validated scope setting to its RFC 4511 value.
func scope(s string) int {
	if s == "one" {
		return goldap.ScopeSingleLevel
	}
	return goldap.ScopeWholeSubtree
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return defaultTimeout
	}
	return c.Timeout
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
