package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/portcullis/portcullis/connectors"
)

// Bounds of what Login accepts before it contacts the directory: longer
// input is no one's and only makes the directory work.
const (
	maxUsername = 256  // bytes, after trimming
	maxPassword = 1024 // bytes
)

// Connector checks usernames and passwords against one LDAP directory. It
// is a connectors.Password, safe for concurrent use.
type Connector struct {
	cfg     Config
	dialer  Dialer
	addr    string // host:port
	ldaps   bool
	tls     *tls.Config
	timeout time.Duration
}

var _ connectors.Password = (*Connector)(nil)

// New validates cfg, reads its ca_file and returns its connector. It does
// not contact the directory. dialer opens the connections; nil means a
// plain *net.Dialer (Config.Timeout bounds every login either way).
func New(cfg Config, dialer Dialer) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	u, _ := cfg.url() // Validate checked it
	c := &Connector{
		cfg:     cfg,
		dialer:  dialer,
		ldaps:   u.Scheme == "ldaps",
		timeout: cfg.timeout(),
	}
	if c.dialer == nil {
		c.dialer = &net.Dialer{}
	}
	port := u.Port()
	if port == "" {
		port = goldap.DefaultLdapPort
		if c.ldaps {
			port = goldap.DefaultLdapsPort
		}
	}
	c.addr = net.JoinHostPort(u.Hostname(), port)
	if c.ldaps || cfg.StartTLS {
		c.tls = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pool, err := readCAs(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("ldap: ca_file: %w", err)
			}
			c.tls.RootCAs = pool
		}
	}
	return c, nil
}

// readCAs reads a PEM file of CA certificates.
func readCAs(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// Login checks username and password against the directory: it binds as
// the service account, finds the one entry of username, binds as that
// entry with password (the directory checks it: RFC 4513 section 5.1.3),
// then reads the entry's groups as the service account.
//
// ok is false, with no error, when the username is unknown, the password
// wrong, or either is empty or too long. An empty password is refused
// before anything is sent: a simple bind with a DN and no password is an
// unauthenticated bind (RFC 4513 section 5.1.2), which many directories
// answer with success.
//
// Errors wrap connectors.ErrUpstream when the directory cannot be reached
// or answered the service account with an error (a wrong bind_password is
// an outage, not the person's fault), and connectors.ErrRefused when its
// answer is unusable: two entries for one username, an entry without the
// subject attribute, or a result other than invalidCredentials to the
// person's bind (e.g. an account the directory refuses to bind).
func (c *Connector) Login(ctx context.Context, username, password string) (connectors.Identity, bool, error) {
	username = strings.TrimSpace(username)
	if username == "" || len(username) > maxUsername || !utf8.ValidString(username) ||
		password == "" || len(password) > maxPassword {
		return connectors.Identity{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.dial(ctx)
	if err != nil {
		return connectors.Identity{}, false, err
	}
	defer conn.Close()

	if err := c.bindService(conn); err != nil {
		return connectors.Identity{}, false, err
	}
	entry, err := c.findUser(conn, username)
	if err != nil || entry == nil {
		return connectors.Identity{}, false, err
	}
	if err := conn.Bind(entry.DN, password); err != nil {
		switch {
		case goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials):
			return connectors.Identity{}, false, nil
		case answered(err):
			return connectors.Identity{}, false, fmt.Errorf("%w: ldap: bind as the user: %w", connectors.ErrRefused, err)
		default:
			return connectors.Identity{}, false, upstream("bind as the user", err)
		}
	}
	id, err := c.identity(entry, username)
	if err != nil {
		return connectors.Identity{}, false, err
	}
	if id.Groups, err = c.groups(conn, entry.DN, id.Username); err != nil {
		return connectors.Identity{}, false, err
	}
	return id, true, nil
}

// bindService binds conn as the service account, or anonymously (RFC 4513
// section 5.1.1) when there is none, which also ends a person's bind.
func (c *Connector) bindService(conn *goldap.Conn) error {
	_, err := conn.SimpleBind(&goldap.SimpleBindRequest{
		Username:           c.cfg.BindDN,
		Password:           c.cfg.BindPassword,
		AllowEmptyPassword: c.cfg.BindDN == "", // anonymous only
	})
	if err != nil {
		return upstream("bind as the service account", err)
	}
	return nil
}

// findUser returns the one entry of username, nil when there is none.
func (c *Connector) findUser(conn *goldap.Conn, username string) (*goldap.Entry, error) {
	s := c.cfg.UserSearch
	res, err := conn.Search(&goldap.SearchRequest{
		BaseDN: s.BaseDN,
		Scope:  scope(s.Scope),
		// Two are enough to tell one from several.
		SizeLimit:        2,
		EnforceSizeLimit: true,
		TimeLimit:        c.timeLimit(),
		Filter:           s.userFilter(username),
		Attributes:       c.userAttributes(),
	})
	switch {
	case errors.Is(err, goldap.ErrSizeLimitExceeded),
		goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded),
		err == nil && len(res.Entries) > 1:
		return nil, fmt.Errorf("%w: ldap: user_search.filter finds several entries for one username: ambiguous", connectors.ErrRefused)
	case err != nil:
		return nil, upstream("search the user", err)
	case len(res.Entries) == 0:
		return nil, nil
	}
	entry := res.Entries[0]
	// A bind with an empty DN and a password is anonymous on some
	// directories: an entry must have a DN to bind as.
	if entry.DN == "" {
		return nil, fmt.Errorf("%w: ldap: the user's entry has an empty DN", connectors.ErrRefused)
	}
	return entry, nil
}

// userFilter is the search filter of username: its escaping (RFC 4515
// section 3) makes it one value, whatever characters it holds.
func (s UserSearch) userFilter(username string) string {
	return strings.ReplaceAll(s.filter(), placeholderUsername, goldap.EscapeFilter(username))
}

// timeLimit is the search's time limit for the directory (RFC 4511
// section 4.5.1.5), in whole seconds, at least one.
func (c *Connector) timeLimit() int {
	return int((c.timeout + time.Second - 1) / time.Second)
}

// answered reports whether err is the directory's result code, not a
// failure to get one (go-ldap numbers its own errors from 200).
func answered(err error) bool {
	var e *goldap.Error
	return errors.As(err, &e) && e.ResultCode < goldap.ErrorNetwork
}
