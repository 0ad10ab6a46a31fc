package config

import (
	"strings"

	"github.com/portcullis/portcullis/internal/tlsreload"
)

// validateTLS resolves every listener's tls files against the
// configuration file's folder and checks that each pair loads, so that a
// wrong path or a key of another certificate stops the start naming the
// key instead of failing the first handshake.
func (c *Config) validateTLS(p *problems) {
	check := func(key string, f *tlsreload.Files) {
		if !f.Enabled() {
			return
		}
		*f = f.Resolve(c.dir)
		if err := f.Check(); err != nil {
			p.add(key, err.Error())
		}
	}
	check("tls", &c.TLS)
	// A listener that speaks only HTTPS behind an http URL would send
	// every client that follows discovery to a failing handshake.
	p.check(!c.TLS.Enabled() || !strings.HasPrefix(c.Issuer, "http:"), "tls", "is set, so issuer must be an https URL")
	if c.Gateway != nil {
		check("gateway.tls", &c.Gateway.TLS)
		p.check(!c.Gateway.TLS.Enabled() || !strings.HasPrefix(c.Gateway.PublicURL, "http:"), "gateway.tls", "is set, so gateway.public_url must be an https URL")
	}
	if c.OAuthAgent != nil {
		check("oauth_agent.tls", &c.OAuthAgent.TLS)
	}
}
