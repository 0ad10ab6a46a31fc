package config

import (
	"fmt"
	"log/slog"
)

// Log formats, for log_format and --log-format.
const (
	LogJSON = "json"
	LogText = "text"
)

// ParseLogLevel reads a log_level value: debug, info, warn or error.
func ParseLogLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// CheckLogFormat checks a log_format value: json or text.
func CheckLogFormat(s string) error {
	if s != LogJSON && s != LogText {
		return fmt.Errorf("%q is not json or text", s)
	}
	return nil
}

// validateLogging checks log_level and log_format; empty values stay
// empty, so that flags and the command choose the defaults.
func (c *Config) validateLogging(p *problems) {
	if c.LogLevel != "" {
		if _, err := ParseLogLevel(c.LogLevel); err != nil {
			p.add("log_level", err.Error())
		}
	}
	if c.LogFormat != "" {
		if err := CheckLogFormat(c.LogFormat); err != nil {
			p.add("log_format", err.Error())
		}
	}
}
