package tlsreload

import (
	"bytes"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// serveTLS serves 204 over TLS with c's configuration, as serve does, and
// returns the address.
func serveTLS(t *testing.T, c *Cert) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		TLSConfig: c.Config(),
	}
	go hs.ServeTLS(ln, "", "")
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// client trusts ca alone and speaks HTTP/2 when the server offers it.
func client(ca *tlstest.CA) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}, ForceAttemptHTTP2: true}
	return &http.Client{Transport: tr}
}

// get connects afresh (a new handshake) and returns the answer.
func get(t *testing.T, ca *tlstest.CA, addr string) *http.Response {
	t.Helper()
	c := client(ca)
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	return resp
}

func TestServesTLS12OrLaterAndHTTP2(t *testing.T) {
	ca := tlstest.NewCA(t)
	cf, kf := ca.WriteLeaf(t, t.TempDir(), "first")
	c, err := Load(Files{CertFile: cf, KeyFile: kf}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, c)
	resp := get(t, ca, addr)
	if resp.StatusCode != http.StatusNoContent || resp.ProtoMajor != 2 {
		t.Errorf("got %d over %s, want 204 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", resp.TLS.Version)
	}
	if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != "first" {
		t.Errorf("certificate %q, want first", cn)
	}

	tests := []struct {
		name    string
		version uint16
		wantErr bool
	}{
		{"TLS 1.0 refused", tls.VersionTLS10, true},
		{"TLS 1.1 refused", tls.VersionTLS11, true},
		{"TLS 1.2 accepted", tls.VersionTLS12, false},
		{"TLS 1.3 accepted", tls.VersionTLS13, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool, MinVersion: tt.version, MaxVersion: tt.version})
			if (err != nil) != tt.wantErr {
				t.Fatalf("handshake error %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				conn.Close()
			}
		})
	}
}

func TestReload(t *testing.T) {
	tests := []struct {
		name string
		// replace changes the files in dir after the first pair was loaded.
		replace    func(t *testing.T, ca *tlstest.CA, dir string)
		wantCN     string
		wantLogged string
	}{
		{"renewed pair is served", func(t *testing.T, ca *tlstest.CA, dir string) {
			ca.WriteLeaf(t, dir, "second")
		}, "second", "TLS certificate reloaded"},
		{"a certificate without its key keeps the old pair", func(t *testing.T, ca *tlstest.CA, dir string) {
			cert, _ := ca.Leaf(t, "second")
			tlstest.WriteFile(t, filepath.Join(dir, "cert.pem"), cert)
		}, "first", "private key does not match public key"},
		{"a broken certificate keeps the old pair", func(t *testing.T, ca *tlstest.CA, dir string) {
			tlstest.WriteFile(t, filepath.Join(dir, "cert.pem"), []byte("-----BEGIN CERTIFICATE-----\nbroken"))
		}, "first", "TLS certificate not reloaded"},
		{"a removed key keeps the old pair", func(t *testing.T, ca *tlstest.CA, dir string) {
			if err := os.Remove(filepath.Join(dir, "key.pem")); err != nil {
				t.Fatal(err)
			}
		}, "first", "key_file: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca, dir := tlstest.NewCA(t), t.TempDir()
			cf, kf := ca.WriteLeaf(t, dir, "first")
			var logged bytes.Buffer
			c, err := Load(Files{CertFile: cf, KeyFile: kf}, slog.New(slog.NewTextHandler(&logged, nil)))
			if err != nil {
				t.Fatal(err)
			}
			c.interval = 0 // every handshake reads the files
			addr := serveTLS(t, c)
			tt.replace(t, ca, dir)
			for range 3 {
				if cn := get(t, ca, addr).TLS.PeerCertificates[0].Subject.CommonName; cn != tt.wantCN {
					t.Fatalf("certificate %q, want %q", cn, tt.wantCN)
				}
			}
			if n := strings.Count(logged.String(), "\n"); n != 2 || !strings.Contains(logged.String(), tt.wantLogged) {
				t.Errorf("log has %d lines, want the load and one with %q:\n%s", n, tt.wantLogged, logged.String())
			}
		})
	}
}

func TestCheck(t *testing.T) {
	ca, dir := tlstest.NewCA(t), t.TempDir()
	cf, kf := ca.WriteLeaf(t, dir, "first")
	other, _ := ca.Leaf(t, "other")
	otherFile := filepath.Join(dir, "other.pem")
	tlstest.WriteFile(t, otherFile, other)
	tests := []struct {
		name    string
		files   Files
		wantErr string
	}{
		{"pair", Files{CertFile: cf, KeyFile: kf}, ""},
		{"relative pair", Files{CertFile: "cert.pem", KeyFile: "key.pem"}.Resolve(dir), ""},
		{"cert alone", Files{CertFile: cf}, "needs both cert_file and key_file"},
		{"key alone", Files{KeyFile: kf}, "needs both cert_file and key_file"},
		{"missing file", Files{CertFile: cf, KeyFile: filepath.Join(dir, "nope.pem")}, "key_file: open"},
		{"key of another certificate", Files{CertFile: otherFile, KeyFile: kf}, "private key does not match"},
		{"key given as certificate", Files{CertFile: kf, KeyFile: kf}, "failed to find certificate PEM data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.files.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check: %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error shows the key: %v", err)
			}
			if errors.Is(err, os.ErrNotExist) != strings.Contains(tt.name, "missing") {
				t.Errorf("ErrNotExist not kept: %v", err)
			}
		})
	}
}
