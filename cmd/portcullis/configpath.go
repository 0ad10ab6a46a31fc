package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
)

// envConfig names the environment variable that gives the configuration
// file when --config is not passed.
const envConfig = "PORTCULLIS_CONFIG"

// defaultConfig is the configuration file read when neither --config nor
// $PORTCULLIS_CONFIG names one.
const defaultConfig = "portcullis.yaml"

// configFlag adds the --config flag that every command reading the
// configuration takes; configPath resolves its default.
func configFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "config", "", "configuration file (default $"+envConfig+", then ./"+defaultConfig+")")
}

// configPath is the configuration file to read: flag when set, else
// $PORTCULLIS_CONFIG when set, else ./portcullis.yaml when it exists. The
// error for none names all three, so the fix is in the message.
func configPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if p := os.Getenv(envConfig); p != "" {
		return p, nil
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		return defaultConfig, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("config: %w", err)
	}
	return "", fmt.Errorf("no configuration file: pass --config FILE, set $%s, or create ./%s", envConfig, defaultConfig)
}

// loadConfig loads the configuration file that flag, or its default, names.
func loadConfig(flag string, opts ...config.Option) (*config.Config, error) {
	path, err := configPath(flag)
	if err != nil {
		return nil, err
	}
	return config.Load(path, opts...)
}
