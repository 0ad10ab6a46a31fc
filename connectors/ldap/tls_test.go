package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/ldap/ldaptest"
	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// TestTLS signs in over LDAPS and StartTLS, the directory's certificate
// checked against ca_file or the system roots. The directory refuses
// binds on a plain connection, so a success is a password sent over TLS.
func TestTLS(t *testing.T) {
	ca, other := tlstest.NewCA(t), tlstest.NewCA(t)
	caFile, otherFile := writePEM(t, "ca.pem", ca.PEM()), writePEM(t, "other.pem", other.PEM())
	server := serverTLS(t, ca)
	tests := []struct {
		name     string
		ldaps    bool
		startTLS bool
		// noStartTLS: the directory does not offer StartTLS.
		noStartTLS bool
		caFile     string
		want       error // nil: alice signs in
	}{
		{name: "LDAPS, ca_file", ldaps: true, caFile: caFile},
		{name: "StartTLS, ca_file", startTLS: true, caFile: caFile},
		{name: "LDAPS, another CA", ldaps: true, caFile: otherFile, want: connectors.ErrUpstream},
		{name: "StartTLS, another CA", startTLS: true, caFile: otherFile, want: connectors.ErrUpstream},
		{name: "LDAPS, the system roots", ldaps: true, want: connectors.ErrUpstream},
		{name: "StartTLS, the system roots", startTLS: true, want: connectors.ErrUpstream},
		{name: "StartTLS not offered", startTLS: true, noStartTLS: true, caFile: caFile, want: connectors.ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ldaptest.Directory{Entries: tree(), LDAPS: tt.ldaps, TLS: server, RequireTLS: true}
			if tt.noStartTLS {
				d.TLS = nil
			}
			cfg := testConfig(d.Start(t))
			cfg.StartTLS, cfg.CAFile = tt.startTLS, tt.caFile
			id, ok, err := newConnector(t, cfg, d).Login(context.Background(), "alice", alicePW)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || ok {
					t.Fatalf("Login = %+v, ok %v, %v; want an error wrapping %v", id, ok, err, tt.want)
				}
				for _, op := range d.Log() {
					if strings.HasPrefix(op, "bind ") {
						t.Errorf("the directory was asked %q over an unverified connection", op)
					}
				}
				return
			}
			if err != nil || !ok || id.Subject != aliceDN {
				t.Fatalf("Login = %+v, ok %v, %v; want alice", id, ok, err)
			}
			if log := d.Log(); tt.startTLS && (len(log) == 0 || log[0] != "starttls") {
				t.Errorf("the directory was asked %q, want StartTLS first", log)
			}
		})
	}
}

// TestTLSConfig asserts the client's TLS settings: at least TLS 1.2, the
// URL's host as the name to verify, ca_file's CAs alone when set.
func TestTLSConfig(t *testing.T) {
	ca := tlstest.NewCA(t)
	c := newConnector(t, Config{
		URL: "ldaps://ldap.example.org", CAFile: writePEM(t, "ca.pem", ca.PEM()),
		UserSearch: UserSearch{BaseDN: peopleDN},
	}, nil)
	if c.tls.MinVersion != tls.VersionTLS12 || c.tls.ServerName != "ldap.example.org" || c.tls.InsecureSkipVerify {
		t.Errorf("tls.Config: MinVersion %x, ServerName %q, InsecureSkipVerify %v", c.tls.MinVersion, c.tls.ServerName, c.tls.InsecureSkipVerify)
	}
	if !c.tls.RootCAs.Equal(ca.Pool) {
		t.Error("RootCAs are not ca_file's")
	}
	if c.addr != "ldap.example.org:636" {
		t.Errorf("addr %q, want the LDAPS port", c.addr)
	}
}

// serverTLS is the directory's side: a leaf of ca for 127.0.0.1.
func serverTLS(t *testing.T, ca *tlstest.CA) *tls.Config {
	t.Helper()
	certPEM, keyPEM := ca.Leaf(t, "directory")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

func writePEM(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
