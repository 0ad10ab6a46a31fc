//go:build unix

package tlsreload

import (
	"crypto/tls"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// A reload stuck on its files (a hung mount of secrets; here a FIFO no one
// writes yet) holds up its own handshake only: the others are served the
// current pair meanwhile.
func TestSlowReloadBlocksNoOtherHandshake(t *testing.T) {
	ca, dir := tlstest.NewCA(t), t.TempDir()
	cf, kf := ca.WriteLeaf(t, dir, "first")
	c, err := Load(Files{CertFile: cf, KeyFile: kf}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c.interval = 0
	certPEM, _ := ca.Leaf(t, "first")
	if err := os.Remove(cf); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(cf, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	stuck := make(chan struct{})
	go func() {
		defer close(stuck)
		c.GetCertificate(nil) // reads the FIFO: blocks until it is written
	}()
	for {
		c.mu.Lock()
		reloading := c.reloading
		c.mu.Unlock()
		if reloading {
			break
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan *tls.Certificate)
	go func() {
		got, _ := c.GetCertificate(nil)
		done <- got
	}()
	select {
	case got := <-done:
		if got == nil || got.Leaf.Subject.CommonName != "first" {
			t.Fatalf("served %v while the reload was stuck; want the current pair", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a handshake waited for a stuck reload")
	}
	// Let the stuck reader finish.
	w, err := os.OpenFile(cf, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(certPEM)
	w.Close()
	<-stuck
}
