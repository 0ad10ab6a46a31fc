package config

import (
	"strings"
	"testing"
)

// TestOnly checks that with Only, variables elsewhere may be unset, the
// problems their emptiness causes are not reported, and every other
// problem still is.
func TestOnly(t *testing.T) {
	doc := `issuer: http://127.0.0.1:8080
storage: ${STORAGE}
apis: [{identifier: "https://api.example.com", scopes: [list:users]}]
clients:
  - {client_id: c, client_secret: "${CLIENT_SECRET}", grant_types: [client_credentials], scopes: [list:users]}
gateway:
  listen: 127.0.0.1:8082
  public_url: http://127.0.0.1:8082
  issuer: http://127.0.0.1:8080
  audience: https://api.example.com
  routes: [{path: /users, upstream: "http://127.0.0.1:9000", cookies: true}]
oauth_agent:
  listen: 127.0.0.1:8081
  issuer: http://127.0.0.1:8080
  client_id: c
  client_secret: ${CLIENT_SECRET}
  redirect_uri: http://127.0.0.1:3000/
  trusted_web_origins: [http://127.0.0.1:3000]
  cookie_encryption_key: ${COOKIE_KEY}
`
	storage := map[string]string{"STORAGE": "sqlite://x.db"}
	tests := []struct {
		name    string
		doc     string
		vars    map[string]string
		opts    []Option
		wantErr []string
	}{
		{name: "only storage needed", doc: doc, vars: storage, opts: []Option{Only("storage")}},
		{name: "every variable needed", doc: doc, vars: storage,
			wantErr: []string{"clients[0].client_secret: environment variable CLIENT_SECRET is not set", "oauth_agent.cookie_encryption_key: environment variable COOKIE_KEY is not set"}},
		{name: "a needed variable unset", doc: doc, opts: []Option{Only("storage")},
			wantErr: []string{"storage: environment variable STORAGE is not set"}},
		{name: "other problems still reported", doc: strings.Replace(doc, "listen: 127.0.0.1:8082", "listen: 8082", 1), vars: storage, opts: []Option{Only("storage")},
			wantErr: []string{"gateway.listen: must be host:port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.doc), "/", env(tt.vars), tt.opts...)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Storage != "sqlite://x.db" {
					t.Errorf("storage = %q", cfg.Storage)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "cookie_encryption_key: must be") {
				t.Errorf("reported the emptiness of an unset variable: %v", err)
			}
		})
	}
}
