package connlimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"
)

// serve runs an HTTP server on a loopback Listener with limits, as serve
// does, answering GET /healthz.
func serve(t *testing.T, limits Limits) (*Listener, string) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Wrap(raw, limits)
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"ok"}`)
		}),
		ReadHeaderTimeout: time.Minute,
		ConnState:         ln.ConnState,
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln, raw.Addr().String()
}

// waitFor polls ln until ok holds, for at most ten seconds: the server
// counts a connection in or marks it idle on its own goroutine.
func waitFor(t *testing.T, ln *Listener, what string, ok func(Stats) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if ok(ln.Stats()) {
			return
		}
	}
	t.Fatalf("waiting for %s: %+v", what, ln.Stats())
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends GET /healthz on c, keeping it alive, and says whether 200 came back.
func get(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// closedByServer says whether the server closed c: a read ends at once
// with EOF or a reset rather than timing out.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestFaultConnectionFloodEvictsIdle opens four times as many idle
// keep-alive connections as the limit: the longest idle ones are closed to
// admit new ones, and /healthz still answers a new client.
func TestFaultConnectionFloodEvictsIdle(t *testing.T) {
	const limit, flood = 50, 200
	ln, addr := serve(t, Limits{Connections: limit, ConnectionsPerAddress: 1000})
	conns := make([]net.Conn, flood)
	for i := range conns {
		conns[i] = dial(t, addr)
		if !get(conns[i]) {
			t.Fatalf("connection %d: /healthz did not answer: %+v", i, ln.Stats())
		}
		// The next connection may evict this one only once the server
		// has marked it idle.
		waitFor(t, ln, "the connections to turn idle", func(s Stats) bool { return s.Idle == s.Open })
	}
	if s := ln.Stats(); s.Open != limit || s.Evicted != flood-limit || s.Refused != 0 {
		t.Fatalf("stats %+v, want %d open, %d evicted, none refused", s, limit, flood-limit)
	}
	for i, c := range conns {
		if i < flood-limit && !closedByServer(c) {
			t.Fatalf("connection %d, among the longest idle, is still open", i)
		}
	}
	for i, c := range conns[flood-limit:] {
		if !get(c) {
			t.Fatalf("connection %d, among the most recent, was closed", flood-limit+i)
		}
	}
	waitFor(t, ln, "the connections to turn idle", func(s Stats) bool { return s.Idle == s.Open })
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz from a new client under the flood: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestFaultConnectionsPerAddress: one address holds at most its limit;
// the next connection is refused while none of its own is idle, and
// evicts its own longest idle one otherwise.
func TestFaultConnectionsPerAddress(t *testing.T) {
	tests := []struct {
		name     string
		idle     bool // the first connection has served a request and is idle
		wantOpen bool // the connection past the limit is admitted
	}{
		{"refused when none is idle", false, false},
		{"admitted in place of an idle one", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, addr := serve(t, Limits{})
			first := dial(t, addr)
			if tt.idle {
				if !get(first) {
					t.Fatal("/healthz did not answer")
				}
				waitFor(t, ln, "the first connection to turn idle", func(s Stats) bool { return s.Idle == 1 })
			}
			// The others have sent nothing yet: new, not idle.
			for range DefaultConnectionsPerAddress - 1 {
				dial(t, addr)
			}
			waitFor(t, ln, "the connections to be accepted", func(s Stats) bool { return s.Open == DefaultConnectionsPerAddress })
			over := dial(t, addr)
			if tt.wantOpen {
				if !get(over) {
					t.Fatalf("the connection past the limit was not served: %+v", ln.Stats())
				}
				if !closedByServer(first) {
					t.Fatal("the idle connection was not evicted")
				}
			} else if !closedByServer(over) {
				t.Fatalf("connection %d from one address was not refused", DefaultConnectionsPerAddress+1)
			}
			want := Stats{Open: DefaultConnectionsPerAddress}
			if tt.wantOpen {
				want.Evicted = 1
			} else {
				want.Refused = 1
			}
			waitFor(t, ln, "the counts", func(s Stats) bool { s.Idle = 0; return s == want })
		})
	}
}

// TestConcurrentConnectionsStayCounted: many clients connecting, asking
// and closing at once never leave more than the limit open, and every
// slot is freed when they are done.
func TestConcurrentConnectionsStayCounted(t *testing.T) {
	const limit = 10
	ln, addr := serve(t, Limits{Connections: limit, ConnectionsPerAddress: limit})
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			for range 20 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					continue
				}
				get(c)
				if s := ln.Stats(); s.Open > limit {
					t.Errorf("%d connections open, limit %d", s.Open, limit)
				}
				c.Close()
			}
		})
	}
	wg.Wait()
	waitFor(t, ln, "every slot to be freed", func(s Stats) bool { return s.Open == 0 && s.Idle == 0 })
}
