// Package faultproxy is a TCP proxy for fault tests: it stands between one
// client and a server (a database, Redis) and can stall all traffic at once,
// as a network blackhole or a frozen process does, then let it flow again.
package faultproxy

import (
	"bytes"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from its own address on 127.0.0.1 to a
// target. While stalled, nothing crosses it in either direction, not even
// a closed connection: both ends see a peer that has gone silent.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	changed sync.Cond // broadcast when stalled, closed or trigger change
	stalled bool
	closed  bool
	trigger []byte
	conns   []net.Conn
}

// New starts a proxy to target and closes it, with every connection through
// it, when the test ends.
func New(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("faultproxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target}
	p.changed.L = &p.mu
	tb.Cleanup(p.close)
	go p.accept()
	return p
}

// Addr is the address clients dial instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stall stops all traffic through the proxy until Resume. Connections
// accepted meanwhile are held too, unanswered.
func (p *Proxy) Stall() { p.set(func() { p.stalled = true }) }

// Resume lets traffic flow again, held bytes and closes first.
func (p *Proxy) Resume() { p.set(func() { p.stalled, p.trigger = false, nil }) }

// StallOn stalls the proxy when a client sends bytes containing marker,
// before those bytes reach the server: the client is caught at a chosen
// point of its conversation, for example about to commit.
func (p *Proxy) StallOn(marker []byte) { p.set(func() { p.trigger = bytes.Clone(marker) }) }

// Stalled reports whether the proxy is stalled, by Stall or a StallOn
// marker.
func (p *Proxy) Stalled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

func (p *Proxy) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	p.changed.Broadcast()
}

func (p *Proxy) close() {
	p.ln.Close()
	p.set(func() {
		p.closed = true
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	})
}

// track remembers c for close and reports false, closing c, if the proxy
// is already closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *Proxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.track(in) {
			go p.connect(in)
		}
	}
}

func (p *Proxy) connect(in net.Conn) {
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		in.Close()
		return
	}
	if !p.track(out) {
		in.Close()
		return
	}
	go p.pump(in, out, true)
	p.pump(out, in, false)
}

// pump copies src to dst a read at a time, each held while the proxy is
// stalled, and closes both once src ends (after any stall, so a close
// does not cross a stalled proxy either).
func (p *Proxy) pump(src, dst net.Conn, fromClient bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if !p.hold(buf[:n], fromClient) {
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hold waits while the proxy is stalled, first stalling it if chunk comes
// from a client and holds the trigger, and reports whether the proxy is
// still open.
func (p *Proxy) hold(chunk []byte, fromClient bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fromClient && p.trigger != nil && bytes.Contains(chunk, p.trigger) {
		p.stalled, p.trigger = true, nil
		p.changed.Broadcast()
	}
	for p.stalled && !p.closed {
		p.changed.Wait()
	}
	return !p.closed
}
