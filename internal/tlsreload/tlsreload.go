// Package tlsreload serves a listener's certificate and key from files
// and picks up a renewed pair without a restart: certbot, cert-manager
// or an operator replaces the files, and the next handshake after the
// check interval reads them again. A replacement that does not load (a
// half-written file, a key that does not match) keeps the last good pair
// and is logged once.
package tlsreload

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CheckInterval is how often, at most, the files are read again: often
// enough that a renewal takes effect within seconds, rarely enough that
// a burst of handshakes does not read the disk for each.
const CheckInterval = 2 * time.Second

// Files names a PEM certificate chain and its private key. The zero value
// means no TLS: the listener serves plain HTTP.
type Files struct {
	// CertFile is the certificate chain, the leaf first, in PEM; a
	// relative path is relative to the configuration file's folder.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the certificate's private key in PEM (PKCS #1, PKCS #8
	// or SEC 1); relative as CertFile.
	KeyFile string `yaml:"key_file"`
}

// Enabled says whether either file is set.
func (f Files) Enabled() bool { return f.CertFile != "" || f.KeyFile != "" }

// Resolve makes relative paths relative to dir.
func (f Files) Resolve(dir string) Files {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	return Files{CertFile: abs(f.CertFile), KeyFile: abs(f.KeyFile)}
}

// Check says what is wrong with f, or nil when both files are set and
// hold a matching pair. Its message names the files, never their content.
func (f Files) Check() error {
	if f.CertFile == "" || f.KeyFile == "" {
		return errors.New("needs both cert_file and key_file")
	}
	_, _, err := f.read()
	return err
}

// read reads and parses both files, returning what it read too so that
// an unchanged pair is recognised without parsing it again.
func (f Files) read() (*tls.Certificate, []byte, error) {
	certPEM, err := os.ReadFile(f.CertFile)
	if err != nil {
		return nil, nil, fmt.Errorf("cert_file: %w", err)
	}
	keyPEM, err := os.ReadFile(f.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("key_file: %w", err)
	}
	content := append(append(certPEM, 0), keyPEM...)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, content, fmt.Errorf("%s and %s: %w", f.CertFile, f.KeyFile, err)
	}
	return &cert, content, nil
}

// Cert holds the pair last loaded from Files and reloads it when the
// files' content changes, which also covers a replacement that keeps the
// modification time (a Kubernetes secret's symbolic link swapped).
type Cert struct {
	files    Files
	log      *slog.Logger
	interval time.Duration

	mu        sync.Mutex
	cert      *tls.Certificate
	content   []byte    // the files' content that cert was loaded from
	failed    string    // the last failed reload (error and content), logged
	checked   time.Time // when the files were last read
	reloading bool      // a handshake is reading the files
}

// Load reads the pair from files; an error names the file and the cause.
// log receives a line for the pair loaded, with its subject and expiry,
// and one for each replacement loaded or refused.
func Load(files Files, log *slog.Logger) (*Cert, error) {
	cert, content, err := files.read()
	if err != nil {
		return nil, err
	}
	log.Info("TLS certificate loaded", "cert_file", files.CertFile, "subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter)
	return &Cert{files: files, log: log, interval: CheckInterval, cert: cert, content: content, checked: time.Now()}, nil
}

// GetCertificate is the tls.Config hook: the current pair, read again
// from the files when CheckInterval has passed since the last look. One
// handshake reads them, outside the lock, so that a slow or hung file
// system (a network mount of secrets) delays that handshake alone while
// every other one is served the current pair.
func (c *Cert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	due := !c.reloading && time.Since(c.checked) >= c.interval
	if due {
		c.reloading, c.checked = true, time.Now()
	}
	c.mu.Unlock()
	if due {
		c.reload()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cert, nil
}

// reload reads the files and takes a pair that changed and loads; the
// caller set c.reloading, which it clears.
func (c *Cert) reload() {
	cert, content, err := c.files.read()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reloading = false
	switch {
	case err == nil && bytes.Equal(content, c.content):
	case err == nil:
		c.cert, c.content, c.failed = cert, content, ""
		c.log.Info("TLS certificate reloaded", "cert_file", c.files.CertFile, "not_after", cert.Leaf.NotAfter)
	case err.Error()+string(content) != c.failed:
		// Logged once per failure, not at every check: files left
		// broken would otherwise fill the log.
		c.failed = err.Error() + string(content)
		c.log.Error("TLS certificate not reloaded: keeping the previous one", "err", err)
	}
}

// Config is the TLS configuration of a listener serving c: TLS 1.2 at
// least (RFC 8996 deprecates 1.0 and 1.1), HTTP/2 offered before
// HTTP/1.1.
func (c *Cert) Config() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: c.GetCertificate,
	}
}
