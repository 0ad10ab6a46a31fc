package redisstate

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// redisOptions returns the options of PORTCULLIS_TEST_REDIS, skipping the
// test when it is unset.
func redisOptions(t testing.TB) *redis.Options {
	t.Helper()
	u := os.Getenv("PORTCULLIS_TEST_REDIS")
	if u == "" {
		t.Skip("PORTCULLIS_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0); skipping the Redis tests")
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("PORTCULLIS_TEST_REDIS: %v", err)
	}
	return opts
}

// newPrefix returns a key prefix no other test or run uses, and deletes
// its keys when the test ends.
func newPrefix(t testing.TB) string {
	t.Helper()
	prefix := "portcullis-test:" + rand.Text() + ":"
	opts := redisOptions(t)
	t.Cleanup(func() {
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = rdb.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up %s*: %v", prefix, err)
		}
	})
	return prefix
}

// openClient opens a Client on PORTCULLIS_TEST_REDIS, as Open does, with
// the given prefix and log, and closes it when the test ends.
func openClient(t testing.TB, prefix string, log *slog.Logger) *Client {
	t.Helper()
	redisOptions(t)
	c, err := Open(t.Context(), os.Getenv("PORTCULLIS_TEST_REDIS"), log)
	if err != nil {
		t.Fatal(err)
	}
	c.prefix = prefix
	t.Cleanup(func() { c.Close() })
	return c
}

// unreachableClient returns a Client for a port nothing listens on, as an
// instance sees Redis during an outage.
func unreachableClient(t testing.TB, log *slog.Logger) *Client {
	t.Helper()
	c := newClient(&redis.Options{Addr: closedAddr(t)}, log)
	c.prefix = "portcullis-test:unreachable:"
	t.Cleanup(func() { c.Close() })
	return c
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// openSQLite returns a fresh SQLite store, closed when the test ends.
func openSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count returns how many times s was logged.
func (b *logBuffer) count(s string) int { return strings.Count(b.String(), s) }

// logger returns a logger writing to b.
func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// waitFor polls cond until it holds, failing the test after a generous
// deadline; the test goes on as soon as cond holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// discard is a logger for tests that do not look at the log.
var discard = slog.New(slog.DiscardHandler)

// proxy forwards TCP connections to Redis and can cut them, to take Redis
// away from one Client and give it back while the test runs, or pause
// them: Redis still receives and executes commands, but its answers are
// held, as from a Redis that stalls in mid-call.
type proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	down   bool
	paused bool
	// resumed is broadcast when paused or down changes.
	resumed sync.Cond
	conns   []net.Conn
}

// newProxy starts a proxy to target, closed when the test ends.
func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	return newProxyOn(t, "127.0.0.1:0", target)
}

// newProxyOn starts a proxy to target listening on addr, for a Redis that
// appears at an address where nothing listened.
func newProxyOn(t testing.TB, addr, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.resumed.L = &p.mu
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
	})
	go p.accept()
	return p
}

// client returns a Client that reaches Redis through the proxy.
func (p *proxy) client(t testing.TB, prefix string, log *slog.Logger) *Client {
	c := newClient(&redis.Options{Addr: p.ln.Addr().String(), DB: redisOptions(t).DB}, log)
	c.prefix = prefix
	t.Cleanup(func() { c.Close() })
	return c
}

func (p *proxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns = append(p.conns, in)
		}
		p.mu.Unlock()
		if down {
			in.Close()
			continue
		}
		go p.forward(in)
	}
}

func (p *proxy) forward(in net.Conn) {
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		in.Close()
		return
	}
	p.mu.Lock()
	down := p.down
	if !down {
		p.conns = append(p.conns, out)
	}
	p.mu.Unlock()
	if down {
		in.Close()
		out.Close()
		return
	}
	go func() {
		_, _ = io.Copy(out, in)
		out.Close()
	}()
	// Answers go back one read at a time, each held while paused.
	buf := make([]byte, 32<<10)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			if p.hold() {
				break
			}
			if _, err := in.Write(buf[:n]); err != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	in.Close()
}

// hold waits while the proxy is paused and reports whether it went down
// meanwhile.
func (p *proxy) hold() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.paused && !p.down {
		p.resumed.Wait()
	}
	return p.down
}

// setPaused holds, or releases, every answer from Redis.
func (p *proxy) setPaused(paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = paused
	p.resumed.Broadcast()
}

// setDown cuts every connection and, while down, every new one.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	p.resumed.Broadcast()
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}
