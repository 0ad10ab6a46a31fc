package main

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/requestid"
)

// logFlags adds the global --log-level and --log-format flags, which win
// over the configuration's log_level and log_format.
func logFlags(root *cobra.Command) {
	root.PersistentFlags().String("log-level", "", "lowest level logged: debug, info, warn or error (default: the configuration's log_level, else info)")
	root.PersistentFlags().String("log-format", "", "log lines as json or text (default: the configuration's log_format, else json; text for dev)")
}

// newLogger is the logger of a command that serves: the flags of cmd win
// over level and format (the configuration's log_level and log_format);
// format falls back to fallback and level to info. Every line carries the
// request ID of the request it is about.
func newLogger(cmd *cobra.Command, level, format, fallback string, w io.Writer) (*slog.Logger, error) {
	level = cmp.Or(flagValue(cmd, "log-level"), level, "info")
	format = cmp.Or(flagValue(cmd, "log-format"), format, fallback)
	lv, err := config.ParseLogLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	if err := config.CheckLogFormat(format); err != nil {
		return nil, fmt.Errorf("--log-format: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == config.LogText {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(requestid.LogHandler(h)), nil
}

// flagValue is the value of the flag name of cmd or its parents, empty
// when it has none.
func flagValue(cmd *cobra.Command, name string) string {
	if f := cmd.Flag(name); f != nil {
		return f.Value.String()
	}
	return ""
}
