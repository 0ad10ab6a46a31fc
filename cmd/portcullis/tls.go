package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/portcullis/portcullis/internal/tlsreload"
)

// listenerTLS is the TLS configuration of the listener name: nil without
// files (plain HTTP), else one serving the pair, reloaded when the files
// change. config checked the pair already; it is loaded again here
// because it may have changed since.
func listenerTLS(name string, files tlsreload.Files, log *slog.Logger) (*tls.Config, error) {
	if !files.Enabled() {
		return nil, nil
	}
	cert, err := tlsreload.Load(files, log.With("listener", name))
	if err != nil {
		return nil, fmt.Errorf("%s: tls: %w", name, err)
	}
	return cert.Config(), nil
}

// serveOn serves hs on ln, over TLS when hs has a TLS configuration.
func serveOn(hs *http.Server, ln net.Listener) error {
	if hs.TLSConfig != nil {
		return hs.ServeTLS(ln, "", "")
	}
	return hs.Serve(ln)
}
