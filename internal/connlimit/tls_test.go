package connlimit

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// TestTLSConnectionsTurnIdle: a server serving TLS reports the *tls.Conn
// to ConnState; its connections are still seen idle, so they can be
// evicted under pressure like plain ones.
func TestTLSConnectionsTurnIdle(t *testing.T) {
	ca := tlstest.NewCA(t)
	certPEM, keyPEM := ca.Leaf(t, "server")
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Wrap(raw, Limits{})
	hs := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ok"}`) }),
		ReadHeaderTimeout: time.Minute,
		ConnState:         ln.ConnState,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}},
	}
	go hs.ServeTLS(ln, "", "")
	t.Cleanup(func() { hs.Close() })
	c, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{RootCAs: ca.Pool, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if !get(c) {
		t.Fatal("GET over TLS failed")
	}
	waitFor(t, ln, "the TLS connection to turn idle", func(s Stats) bool { return s.Open == 1 && s.Idle == 1 })
}
