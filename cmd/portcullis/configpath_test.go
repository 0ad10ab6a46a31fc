package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigPath checks the order: --config, then $PORTCULLIS_CONFIG, then
// ./portcullis.yaml, and the error naming all three when none is there.
func TestConfigPath(t *testing.T) {
	tests := []struct {
		name    string
		flag    string
		env     string
		local   bool // ./portcullis.yaml exists
		want    string
		wantErr string
	}{
		{name: "flag wins over everything", flag: "a.yaml", env: "b.yaml", local: true, want: "a.yaml"},
		{name: "environment wins over the local file", env: "b.yaml", local: true, want: "b.yaml"},
		{name: "local file", local: true, want: "portcullis.yaml"},
		{name: "none", wantErr: "no configuration file: pass --config FILE, set $PORTCULLIS_CONFIG, or create ./portcullis.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			t.Setenv(envConfig, tt.env)
			if tt.local {
				if err := os.WriteFile(filepath.Join(dir, defaultConfig), []byte("issuer: x\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := configPath(tt.flag)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
