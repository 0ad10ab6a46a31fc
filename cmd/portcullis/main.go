// Command portcullis runs the Portcullis authorization server and manages
// its state. It only wires the parts together from the configuration file;
// the parts live in their own packages.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "portcullis:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "portcullis",
		Short:         "OAuth 2.1 and OpenID Connect authorization server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	logFlags(root)
	root.AddCommand(serveCmd(), devCmd(), clientsCmd(), apisCmd(), keysCmd(), usersCmd(), tokensCmd(), auditCmd(), usageCmd(), anomaliesCmd(), migrateCmd(), dpopCmd(), versionCmd())
	return root
}
