package ldap

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/portcullis/portcullis/connectors"
)

// Dialer opens the TCP connections to the directory. *net.Dialer is one;
// the caller may pass another to route or observe them.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// dial opens one login's connection: TLS from the first byte (ldaps://),
// upgraded by StartTLS before anything else is sent, or plain on a
// loopback host. ctx carries the login's deadline, which is set on the
// socket itself, so that every read and write below, including those
// go-ldap makes without a context (StartTLS's handshake, a reply that
// never comes), ends by then.
func (c *Connector) dial(ctx context.Context) (*goldap.Conn, error) {
	raw, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, upstream("connect", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(deadline); err != nil {
			raw.Close()
			return nil, upstream("connect", err)
		}
	}
	// A cancelled login (the browser went away) ends its I/O too.
	context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })

	var conn *goldap.Conn
	switch {
	case c.ldaps:
		tc := tls.Client(raw, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, upstream("TLS handshake", err)
		}
		conn = goldap.NewConn(tc, true)
		conn.Start()
	default:
		conn = goldap.NewConn(raw, false)
		conn.Start()
		if c.cfg.StartTLS {
			if err := conn.StartTLS(c.tls); err != nil {
				conn.Close()
				return nil, upstream("StartTLS", err)
			}
		}
	}
	// go-ldap's own bound on each request, in case its reader outlives the
	// socket's deadline.
	conn.SetTimeout(c.timeout)
	return conn, nil
}

// upstream wraps err, met at step, as an outage.
func upstream(step string, err error) error {
	return fmt.Errorf("%w: ldap: %s: %w", connectors.ErrUpstream, step, err)
}
