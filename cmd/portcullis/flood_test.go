package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFaultConnectionFlood opens four times limits.connections idle
// keep-alive connections to a running serve: it keeps the most recent
// ones, closes the longest idle, and /healthz answers a new client.
func TestFaultConnectionFlood(t *testing.T) {
	const limit, flood = 50, 200
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	conf := filepath.Join(dir, "portcullis.yaml")
	os.WriteFile(conf, fmt.Appendf(nil, `
issuer: %s
listen: 127.0.0.1:%d
storage: sqlite://portcullis.db
limits: {connections: %d, connections_per_address: %d}
`, base, port, limit, limit), 0o600)
	srv := exec.Command(binary, "serve", "--config", conf)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitReady(t, base)

	// healthz sends GET /healthz on a new keep-alive connection and keeps
	// it open. A connection refused because the previous one was not yet
	// marked idle is tried again, boundedly.
	healthz := func() net.Conn {
		for range 100 {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode == http.StatusOK {
				resp.Body.Close()
				c.SetDeadline(time.Time{})
				return c
			}
			c.Close()
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("/healthz did not answer under the flood")
		return nil
	}
	conns := make([]net.Conn, flood)
	for i := range conns {
		conns[i] = healthz()
		defer conns[i].Close()
	}
	// A connection the server closed reads EOF at once; one it holds open
	// reads nothing until the deadline. The reads run side by side: a read
	// started after a deadline has passed reports a timeout without
	// looking for the EOF.
	var open atomic.Int32
	var wg sync.WaitGroup
	deadline := time.Now().Add(time.Second)
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		wg.Go(func() {
			if _, err := c.Read(make([]byte, 1)); os.IsTimeout(err) {
				open.Add(1)
			}
		})
	}
	wg.Wait()
	if open := int(open.Load()); open > limit {
		t.Fatalf("%d connections held open, limit %d", open, limit)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz from a new client after the flood: %v %v", resp, err)
	}
	resp.Body.Close()
}
