package config

import (
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

// TestAnomaliesSection reads the anomalies and alerts sections as the
// README writes them, and names the key of each problem.
func TestAnomaliesSection(t *testing.T) {
	base := `issuer: http://127.0.0.1:8080
storage: sqlite://x.db
`
	doc := base + `anomalies:
  max_keys: 20000
  rules:
    token_theft: {addresses: 2, window: 5m, response: revoke_token}
    client_rate: {factor: 8, min_count: 200, response: suspend_client, suspend_for: 30m}
    credential_stuffing: {accounts_per_address: 10}
    refresh_reuse: {disabled: true}
alerts:
  webhook:
    url: https://alerts.example.com/portcullis
    secret: ${WEBHOOK_SECRET}
`
	secretValue := strings.Repeat("w", 40)
	cfg, err := Parse([]byte(doc), "/", env(map[string]string{"WEBHOOK_SECRET": secretValue}))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Anomalies.Rules
	if cfg.Anomalies.MaxKeys != 20000 || r.TokenTheft.Addresses != 2 || r.TokenTheft.Window != 5*time.Minute ||
		r.TokenTheft.Response != usage.RespondRevokeToken || r.ClientRate.SuspendFor != 30*time.Minute ||
		r.CredentialStuffing.AccountsPerAddress != 10 || !r.RefreshReuse.Disabled {
		t.Errorf("anomalies = %+v", cfg.Anomalies)
	}
	if w := cfg.Alerts.Webhook; w == nil || w.Secret != secretValue || w.URL != "https://alerts.example.com/portcullis" {
		t.Errorf("alerts = %+v", cfg.Alerts)
	}

	tests := []struct {
		name, doc, want string
	}{
		{"a misspelt threshold", "anomalies: {rules: {token_theft: {adresses: 3}}}\n", "anomalies.rules.token_theft.adresses: unknown key"},
		{"a misspelt rule", "anomalies: {rules: {token_thief: {}}}\n", "anomalies.rules.token_thief: unknown key"},
		{"a bad threshold", "anomalies: {rules: {credential_stuffing: {addresses_per_account: -1}}}\n", "anomalies.rules.credential_stuffing.addresses_per_account: must be between 1 and 32"},
		{"a response anyone could trigger", "anomalies: {rules: {credential_stuffing: {response: suspend_client}}}\n",
			"anomalies.rules.credential_stuffing.response"},
		{"a webhook without secret", "alerts: {webhook: {url: https://a.example/}}\n", "alerts.webhook.secret: must have at least 32 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tt.doc), "/", env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	short := base + "alerts: {webhook: {url: https://a.example/, secret: ${S}}}\n"
	if _, err := Parse([]byte(short), "/", env(map[string]string{"S": "too-short-to-keep"})); err == nil || strings.Contains(err.Error(), "too-short-to-keep") {
		t.Errorf("a short secret: %v; want an error that does not show it", err)
	}
}
