package config

import (
	"strings"
	"testing"
)

// TestGatewayDPoP reads the gateway's DPoP keys as the README writes
// them, and names the route whose dpop needs public_url.
func TestGatewayDPoP(t *testing.T) {
	nonceKey := strings.Repeat("0f", 32)
	doc := func(publicURL string) string {
		return `issuer: http://127.0.0.1:8080
storage: sqlite://x.db
trusted_proxies: [10.0.0.0/8]
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
gateway:
  listen: 127.0.0.1:8082
` + publicURL + `  issuer: http://127.0.0.1:8080
  audience: https://api.example.com
  dpop_nonce_key: ${NONCE_KEY}
  routes:
    - {path: /users, upstream: "http://127.0.0.1:9000", dpop: required}
    - {path: /health, upstream: "http://127.0.0.1:9000", dpop: off}
`
	}
	cfg, err := Parse([]byte(doc("  public_url: https://api.example.com\n")), "/", env(map[string]string{"NONCE_KEY": nonceKey}))
	if err != nil {
		t.Fatal(err)
	}
	gw := cfg.Gateway
	if gw.DPoPNonceKey != nonceKey || gw.Routes[0].DPoP != "required" || gw.Routes[1].DPoP != "off" {
		t.Errorf("gateway = %+v", gw)
	}
	// Usage events tell addresses behind the file's trusted proxies.
	if len(gw.TrustedProxies) != 1 || gw.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("gateway trusted proxies %v", gw.TrustedProxies)
	}
	_, err = Parse([]byte(doc("")), "/", env(map[string]string{"NONCE_KEY": nonceKey}))
	if want := "gateway.routes[0].dpop: required needs gateway.public_url"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("without public_url: %v, want an error containing %q", err, want)
	}
}
