package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/sqlite"
)

// configFlag adds the --config flag that every command acting on state takes.
func configFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "config", "", "configuration file (required)")
	cmd.MarkFlagRequired("config")
}

// openState loads the configuration and opens the store it names.
func openState(ctx context.Context, path string) (*config.Config, store.Store, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	backend, target, err := cfg.Store()
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if backend == config.Postgres {
		return postgres.Open(ctx, target)
	}
	return sqlite.Open(ctx, target)
}

// printJSON writes v for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
