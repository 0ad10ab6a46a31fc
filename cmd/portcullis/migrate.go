package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/sqlite"
)

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Manage the store's schema (serve also migrates at start)"}
	var path string
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply the migrations the store lacks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, st, err := openState(cmd.Context(), path, false)
			if err != nil {
				return err
			}
			st.Close()
			return printStatus(cmd, path)
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the store's schema version and the latest this binary knows",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return printStatus(cmd, path) },
	}
	for _, c := range []*cobra.Command{up, status} {
		configFlag(c, &path)
		cmd.AddCommand(c)
	}
	return cmd
}

func printStatus(cmd *cobra.Command, path string) error {
	cfg, err := loadConfig(path, config.Only(storeKeys...))
	if err != nil {
		return err
	}
	backend, target, err := cfg.Store()
	if err != nil {
		return err
	}
	status := sqlite.Status
	if backend == config.Postgres {
		status = postgres.Status
	}
	current, latest, err := status(cmd.Context(), target)
	if err != nil {
		return err
	}
	state := "up to date"
	switch {
	case current < latest:
		state = "behind: run portcullis migrate up"
	case current > latest:
		state = "newer than this binary: upgrade portcullis before serving"
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s schema version %d, binary knows %d: %s\n", backend, current, latest, state)
	return err
}
