package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
)

// TestValidate: each wrong setting is named by its YAML key.
func TestValidate(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := Config{Issuer: "https://id.example.com", ClientID: "rp", ClientSecret: "s"}
	for _, tc := range []struct {
		name, want string
		change     func(*Config)
	}{
		{"good", "", func(*Config) {}},
		{"loopback http", "", func(c *Config) { c.Issuer = "http://127.0.0.1:8080" }},
		{"no issuer", "issuer", func(c *Config) { c.Issuer = "" }},
		{"http issuer", "issuer", func(c *Config) { c.Issuer = "http://id.example.com" }},
		{"issuer with query", "issuer", func(c *Config) { c.Issuer = "https://id.example.com/?a=b" }},
		{"no client_id", "client_id", func(c *Config) { c.ClientID = "" }},
		{"no credential", "client_secret", func(c *Config) { c.ClientSecret = "" }},
		{"both credentials", "private_key", func(c *Config) { c.PrivateKey = pemKey(t, key) }},
		{"key_id without a key", "key_id", func(c *Config) { c.KeyID = "k" }},
		{"assertion_audience unknown", "assertion_audience", func(c *Config) {
			c.ClientSecret, c.PrivateKey, c.AssertionAudience = "", pemKey(t, key), "token"
		}},
		{"scopes without openid", "scopes", func(c *Config) { c.Scopes = []string{"email"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestNewPrivateKey: the key must be a PEM EC or RSA private key.
func TestNewPrivateKey(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name, pem string
		ok        bool
	}{
		{"PKCS #8 P-256", pemKey(t, key), true},
		{"not PEM", "secret", false},
		{"PEM of no key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Issuer: "https://id.example.com", ClientID: "rp", PrivateKey: tc.pem}, nil)
			if (err == nil) != tc.ok {
				t.Errorf("New: err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
