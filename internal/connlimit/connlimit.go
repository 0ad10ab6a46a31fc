// Package connlimit bounds the connections a listener holds open: in
// total and per client address (IPv6 by /64, as clientaddr.Key groups
// them), so that idle keep-alive connections cannot use up the process's
// file descriptors and stop it answering. Under pressure it closes the
// oldest idle keep-alive connection to admit a new one, and refuses
// (closes at once) a new connection only when none is idle.
package connlimit

import (
	"cmp"
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"sync"

	"github.com/portcullis/portcullis/internal/clientaddr"
)

// Defaults for the zero values of Limits.
const (
	DefaultConnections           = 10000
	DefaultConnectionsPerAddress = 256
)

// Limits bounds the connections of one listener.
type Limits struct {
	// Connections is the most connections the listener holds open. Zero
	// means DefaultConnections.
	Connections int `yaml:"connections"`
	// ConnectionsPerAddress is the most one client address holds open;
	// IPv6 addresses count by /64. Behind a reverse proxy every connection
	// comes from the proxy: raise it to Connections there. Zero means
	// DefaultConnectionsPerAddress.
	ConnectionsPerAddress int `yaml:"connections_per_address"`
}

// WithDefaults is l with its zero values replaced by the defaults.
func (l Limits) WithDefaults() Limits {
	l.Connections = cmp.Or(l.Connections, DefaultConnections)
	l.ConnectionsPerAddress = cmp.Or(l.ConnectionsPerAddress, DefaultConnectionsPerAddress)
	return l
}

// Stats counts what a Listener did.
type Stats struct {
	// Open is the connections open now.
	Open int
	// Idle is the open connections idle between requests now.
	Idle int
	// Evicted is the idle connections closed to admit new ones.
	Evicted uint64
	// Refused is the connections closed at once because the limits were
	// reached and no connection was idle.
	Refused uint64
}

// Listener is a net.Listener that enforces Limits. Its ConnState must be
// the http.Server's ConnState hook, which tells it which connections are
// idle; without it no connection is ever evicted, only refused.
type Listener struct {
	net.Listener
	limits Limits

	mu      sync.Mutex
	open    int
	perAddr map[string]int
	// idle holds the idle connections, the longest idle first.
	idle  *list.List
	stats Stats
}

// Wrap bounds the connections ln accepts by limits (zero values mean
// the defaults).
func Wrap(ln net.Listener, limits Limits) *Listener {
	return &Listener{Listener: ln, limits: limits.WithDefaults(), perAddr: map[string]int{}, idle: list.New()}
}

// Accept waits for a connection the limits admit. Connections refused
// are closed here and never returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc, ok := l.admit(c); ok {
			return tc, nil
		}
		c.Close()
	}
}

// admit counts c in, closing an idle connection first when a limit is
// reached; false means c must be refused.
func (l *Listener) admit(c net.Conn) (*conn, bool) {
	key := clientaddr.Key(peer(c))
	var evict *conn
	l.mu.Lock()
	switch {
	case l.perAddr[key] >= l.limits.ConnectionsPerAddress:
		// The address's own longest idle connection makes room; another
		// address's would not lower its count.
		evict = l.oldestIdle(func(ic *conn) bool { return ic.key == key })
	case l.open >= l.limits.Connections:
		evict = l.oldestIdle(func(*conn) bool { return true })
	}
	if evict == nil && (l.perAddr[key] >= l.limits.ConnectionsPerAddress || l.open >= l.limits.Connections) {
		l.stats.Refused++
		l.mu.Unlock()
		return nil, false
	}
	if evict != nil {
		// Counted out now, so that the new connection's slot is its own
		// even before the evicted one's Close returns.
		l.removeLocked(evict)
		l.stats.Evicted++
	}
	l.open++
	l.perAddr[key]++
	l.mu.Unlock()
	if evict != nil {
		evict.Conn.Close()
	}
	return &conn{Conn: c, l: l, key: key}, true
}

// oldestIdle is the longest idle connection that match accepts, or nil.
func (l *Listener) oldestIdle(match func(*conn) bool) *conn {
	for e := l.idle.Front(); e != nil; e = e.Next() {
		if c := e.Value.(*conn); match(c) {
			return c
		}
	}
	return nil
}

// removeLocked counts c out, once. l.mu is held.
func (l *Listener) removeLocked(c *conn) {
	if c.gone {
		return
	}
	c.gone = true
	if c.idle != nil {
		l.idle.Remove(c.idle)
		c.idle = nil
	}
	l.open--
	if l.perAddr[c.key]--; l.perAddr[c.key] <= 0 {
		delete(l.perAddr, c.key)
	}
}

// ConnState is the http.Server ConnState hook: it tracks which
// connections are idle between requests and may be closed under pressure.
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	// A server serving TLS reports the *tls.Conn wrapping ours.
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn()
	}
	c, ok := nc.(*conn)
	if !ok || c.l != l {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.gone {
		return
	}
	switch {
	case state == http.StateIdle && c.idle == nil:
		c.idle = l.idle.PushBack(c)
	case state != http.StateIdle && c.idle != nil:
		l.idle.Remove(c.idle)
		c.idle = nil
	}
}

// Stats reports the connections open now and those evicted and refused
// so far.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Open, s.Idle = l.open, l.idle.Len()
	return s
}

// conn is an admitted connection, counted until closed.
type conn struct {
	net.Conn
	l   *Listener
	key string
	// idle is the connection's place in l.idle while idle; gone says it
	// was counted out. Both are guarded by l.mu.
	idle *list.Element
	gone bool
}

// Close closes the connection and frees its slot.
func (c *conn) Close() error {
	c.l.mu.Lock()
	c.l.removeLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// peer is c's remote IP address; the zero Addr when it has none.
func peer(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr()
	}
	return netip.Addr{}
}
