package config

import (
	"slices"
	"testing"
)

// TestMFA checks the mfa section: every refusal names its key, and a
// valid section reaches the authorization server.
func TestMFA(t *testing.T) {
	tests := []struct {
		name, issuer, mfa string
		// want is the key of the one problem, "" for none.
		want string
	}{
		{name: "absent", issuer: "https://login.example.com", mfa: "{}"},
		{name: "full", issuer: "https://login.example.com", mfa: "{required: true, allowed: [passkey, totp], passkeys: {rp_id: example.com, origins: [\"https://login.example.com\", \"https://example.com:8443\"]}}"},
		{name: "rp_id is the host", issuer: "https://login.example.com", mfa: "{passkeys: {rp_id: LOGIN.example.com}}"},
		{name: "loopback origin over http", issuer: "http://127.0.0.1:8080", mfa: "{passkeys: {origins: [\"http://localhost:9000\"]}}"},
		{name: "unknown kind", issuer: "https://login.example.com", mfa: "{allowed: [passkey, sms]}", want: "mfa.allowed[1]"},
		{name: "kind twice", issuer: "https://login.example.com", mfa: "{allowed: [totp, totp]}", want: "mfa.allowed[1]"},
		{name: "rp_id another domain", issuer: "https://login.example.com", mfa: "{passkeys: {rp_id: example.org}}", want: "mfa.passkeys.rp_id"},
		{name: "rp_id a mere suffix", issuer: "https://login.example.com", mfa: "{passkeys: {rp_id: ample.com}}", want: "mfa.passkeys.rp_id"},
		{name: "rp_id a public suffix", issuer: "https://login.example.co.uk", mfa: "{passkeys: {rp_id: co.uk}}", want: "mfa.passkeys.rp_id"},
		{name: "rp_id under the host", issuer: "https://example.com", mfa: "{passkeys: {rp_id: login.example.com}}", want: "mfa.passkeys.rp_id"},
		{name: "origin over http", issuer: "https://login.example.com", mfa: "{passkeys: {origins: [\"http://login.example.com\"]}}", want: "mfa.passkeys.origins[0]"},
		{name: "origin with a path", issuer: "https://login.example.com", mfa: "{passkeys: {origins: [\"https://login.example.com/x\"]}}", want: "mfa.passkeys.origins[0]"},
		{name: "passkeys by default behind an IP issuer", issuer: "http://127.0.0.1:8080", mfa: "{allowed: [totp]}"},
		{name: "passkeys by name behind an IP issuer", issuer: "http://127.0.0.1:8080", mfa: "{allowed: [passkey, totp]}", want: "mfa.allowed"},
		{name: "passkeys by name at localhost", issuer: "http://localhost:8080", mfa: "{allowed: [passkey]}"},
		{name: "origin not a URL", issuer: "https://login.example.com", mfa: "{passkeys: {origins: [login.example.com]}}", want: "mfa.passkeys.origins[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "issuer: " + tt.issuer + "\nstorage: sqlite://x.db\nmfa: " + tt.mfa + "\n"
			cfg, err := Parse([]byte(doc), "/", env(nil))
			var keys []string
			for _, fe := range FieldErrors(err) {
				keys = append(keys, fe.Field)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := cfg.AuthServer().MFA; got.Required != cfg.MFA.Required || !slices.Equal(got.Allowed, cfg.MFA.Allowed) ||
					got.RPID != cfg.MFA.Passkeys.RPID || !slices.Equal(got.Origins, cfg.MFA.Passkeys.Origins) {
					t.Errorf("authserver's MFA %+v, want the section %+v", got, cfg.MFA)
				}
				return
			}
			if !slices.Equal(keys, []string{tt.want}) {
				t.Errorf("problems at %v (%v), want one at %s", keys, err, tt.want)
			}
		})
	}
}
