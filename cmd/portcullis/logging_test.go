package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestNewLogger checks that the flags win over the configuration's
// log_level and log_format, which win over the command's defaults.
func TestNewLogger(t *testing.T) {
	tests := []struct {
		name          string
		flags         []string
		level, format string // the configuration's
		wantDebug     bool
		wantInfo      bool
		wantJSON      bool
		wantErr       string
	}{
		{name: "defaults", wantInfo: true, wantJSON: true},
		{name: "config", level: "debug", format: "text", wantDebug: true, wantInfo: true},
		{name: "flags win", flags: []string{"--log-level", "error", "--log-format", "json"}, level: "debug", format: "text", wantJSON: true},
		{name: "flag level only", flags: []string{"--log-level", "warn"}, level: "debug", format: "text"},
		{name: "bad level flag", flags: []string{"--log-level", "loud"}, wantErr: `--log-level: "loud" is not debug, info, warn or error`},
		{name: "bad format flag", flags: []string{"--log-format", "xml"}, wantErr: `--log-format: "xml" is not json or text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			root := &cobra.Command{Use: "portcullis", SilenceUsage: true, SilenceErrors: true}
			logFlags(root)
			root.AddCommand(&cobra.Command{Use: "sub", RunE: func(cmd *cobra.Command, _ []string) error {
				log, err := newLogger(cmd, tt.level, tt.format, "json", &buf)
				if err != nil {
					return err
				}
				log.Debug("a debug line")
				log.Info("an info line")
				return nil
			}})
			root.SetArgs(append([]string{"sub"}, tt.flags...))
			err := root.Execute()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if got := strings.Contains(out, "a debug line"); got != tt.wantDebug {
				t.Errorf("debug line logged: %v, want %v:\n%s", got, tt.wantDebug, out)
			}
			if got := strings.Contains(out, "an info line"); got != tt.wantInfo {
				t.Errorf("info line logged: %v, want %v:\n%s", got, tt.wantInfo, out)
			}
			if got := strings.HasPrefix(out, "{"); out != "" && got != tt.wantJSON {
				t.Errorf("JSON: %v, want %v:\n%s", got, tt.wantJSON, out)
			}
		})
	}
}
