package config

import (
	"cmp"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/tlsreload/tlstest"
)

// TestTLS: each listener's tls pair is resolved against the file's folder
// and loaded at start; a problem names the listener's key.
func TestTLS(t *testing.T) {
	ca, dir := tlstest.NewCA(t), t.TempDir()
	ca.WriteLeaf(t, dir, "server")
	other, _ := ca.Leaf(t, "other")
	tlstest.WriteFile(t, filepath.Join(dir, "other.pem"), other)
	doc := func(issuer, server, gateway, agent string) string {
		return `issuer: ` + cmp.Or(issuer, "https://id.example.com") + `
storage: sqlite://x.db
` + server + `
oauth_agent:
  listen: 127.0.0.1:8081
  issuer: https://id.example.com
  client_id: spa-agent
  client_secret: agent-secret
  redirect_uri: https://app.example.com/
  trusted_web_origins: [https://app.example.com]
  cookie_encryption_key: ` + strings.Repeat("ab", 32) + `
` + agent + `
gateway:
  listen: 127.0.0.1:8082
  issuer: https://id.example.com
  audience: https://api.example.com
  routes: [{path: /users, upstream: "http://127.0.0.1:9000"}]
` + gateway + "\n"
	}
	pair := "{cert_file: cert.pem, key_file: key.pem}"
	tests := []struct {
		name                   string
		issuer                 string // empty: https://id.example.com
		server, gateway, agent string
		wantErr                []string
	}{
		{"none", "", "", "", "", nil},
		{"every listener", "", "tls: " + pair, "  tls: " + pair, "  tls: " + pair, nil},
		{"server alone", "", "tls: " + pair, "", "", nil},
		{"cert without key", "", "tls: {cert_file: cert.pem}", "", "", []string{"tls: needs both cert_file and key_file"}},
		{"missing file", "", "tls: {cert_file: cert.pem, key_file: nope.pem}", "", "", []string{"tls: key_file: open " + filepath.Join(dir, "nope.pem")}},
		{"key of another certificate at the gateway and the agent", "", "",
			"  tls: {cert_file: other.pem, key_file: key.pem}", "  tls: {cert_file: other.pem, key_file: key.pem}",
			[]string{"gateway.tls: ", "oauth_agent.tls: ", "private key does not match public key"}},
		{"https listener behind an http issuer", "http://127.0.0.1:8080", "tls: " + pair, "", "", []string{"tls: is set, so issuer must be an https URL"}},
		{"https gateway behind an http public_url", "", "", "  tls: " + pair + "\n  public_url: http://127.0.0.1:8082", "", []string{"gateway.tls: is set, so gateway.public_url must be an https URL"}},
		{"misspelt key", "", "tls: {cert: cert.pem}", "", "", []string{"tls.cert: unknown key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(doc(tt.issuer, tt.server, tt.gateway, tt.agent)), dir, env(nil))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if tt.server != "" && cfg.TLS.CertFile != filepath.Join(dir, "cert.pem") {
					t.Errorf("tls.cert_file %q, want it resolved in %s", cfg.TLS.CertFile, dir)
				}
				if tt.gateway != "" && (cfg.Gateway.TLS.KeyFile != filepath.Join(dir, "key.pem") || cfg.OAuthAgent.TLS.KeyFile != filepath.Join(dir, "key.pem")) {
					t.Errorf("gateway.tls %+v, oauth_agent.tls %+v, want them resolved in %s", cfg.Gateway.TLS, cfg.OAuthAgent.TLS, dir)
				}
				return
			}
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want it to contain %q", err, want)
				}
			}
		})
	}
}
