package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/agent"
)

// TestAgentDPoP: oauth_agent.dpop and its keys, which reach the gateway's
// cookie routes with the rest of the agent's cookie settings; those routes
// then need the gateway's public_url, and dpop needs keys.
func TestAgentDPoP(t *testing.T) {
	dpopKey, oldKey := strings.Repeat("cd", 32), strings.Repeat("ef", 32)
	doc := `
issuer: http://127.0.0.1:8080
storage: sqlite://x.db
oauth_agent:
  listen: 127.0.0.1:8081
  issuer: http://127.0.0.1:8080
  client_id: spa-agent
  client_secret: agent-secret
  redirect_uri: http://127.0.0.1:3000/
  trusted_web_origins: [http://127.0.0.1:3000]
  cookie_encryption_key: ` + strings.Repeat("ab", 32) + `
  dpop: true
  dpop_keys: ["${DPOP_KEY}", ` + oldKey + `]
gateway:
  listen: 127.0.0.1:8082
  public_url: http://127.0.0.1:8082
  issuer: http://127.0.0.1:8080
  audience: https://api.example.com
  routes:
    - {path: /users, upstream: "http://127.0.0.1:9000", cookies: true}
`
	vars := env(map[string]string{"DPOP_KEY": dpopKey})
	cfg, err := Parse([]byte(doc), "/", vars)
	if err != nil {
		t.Fatal(err)
	}
	want := agent.Keys{dpopKey, oldKey}
	if c := cfg.Gateway.Cookies; !cfg.OAuthAgent.DPoP || !slices.Equal(cfg.OAuthAgent.DPoPKeys, want) || !c.DPoP || !slices.Equal(c.DPoPKeys, want) {
		t.Errorf("agent dpop %v %q, gateway cookies %+v", cfg.OAuthAgent.DPoP, cfg.OAuthAgent.DPoPKeys, c)
	}
	for _, tt := range []struct {
		name, from, to, want string
	}{
		{name: "no public URL", from: "  public_url: http://127.0.0.1:8082\n", want: "gateway.public_url: is required"},
		{name: "no keys", from: "  dpop_keys: [\"${DPOP_KEY}\", " + oldKey + "]\n", want: "oauth_agent.dpop_keys: is required"},
		{name: "a key too short", from: "${DPOP_KEY}", to: dpopKey[:40], want: "oauth_agent.dpop_keys[0]: must be 64 hexadecimal characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(strings.Replace(doc, tt.from, tt.to, 1)), "/", vars)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
