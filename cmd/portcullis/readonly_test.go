package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOnlyCommandsNeedOnlyStoreVariables runs the read-only commands
// against the demo's configuration with only the store's variables set:
// they work, and a command that changes state still names what is unset.
func TestReadOnlyCommandsNeedOnlyStoreVariables(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "portcullis.yaml")
	if err := os.WriteFile(conf, []byte(devYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"DEV_KEK=" + strings.Repeat("ab", 32)}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"users list", []string{"users", "list"}, "USERNAME"},
		{"audit list", []string{"audit", "list"}, ""},
		{"clients list", []string{"clients", "list"}, "demo-client"},
		{"clients get", []string{"clients", "get", "demo-client"}, "demo-client"},
		{"apis list", []string{"apis", "list"}, "https://api.example.com"},
		{"keys list", []string{"keys", "list"}, ""},
		{"usage", []string{"usage"}, ""},
		{"anomalies", []string{"anomalies"}, ""},
		{"migrate status", []string{"migrate", "status"}, "up to date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := cli(t, env, append(tt.args, "--config", conf)...); !strings.Contains(out, tt.want) {
				t.Errorf("got %s, want %q", out, tt.want)
			}
		})
	}
	out := cliFails(t, env, "users", "add", "--config", conf, "--username", "ann", "--password-stdin")
	if !strings.Contains(out, "environment variable DEV_SECRET is not set") {
		t.Errorf("users add: got %s, want the unset variable named", out)
	}
	out = cliFails(t, nil, "users", "list", "--config", conf)
	if !strings.Contains(out, "key_encryption_key: environment variable DEV_KEK is not set") {
		t.Errorf("users list without DEV_KEK: got %s, want it named", out)
	}
}
