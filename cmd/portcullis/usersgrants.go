package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

func usersGrantsCmd() *cobra.Command {
	f := store.GrantFilter{Limit: store.MaxPageLimit}
	cmd := stateCmd(&cobra.Command{
		Use:         "grants USERNAME",
		Annotations: readOnly(),
		Short:       "List a user's grants (what they authorized which client), newest first",
		Args:        cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUser(args[0])
		if err != nil {
			return err
		}
		f.UserID = u.ID
		grants, err := r.st.ListGrants(r.ctx, f)
		if err != nil {
			return err
		}
		views := []registry.Grant{}
		for _, g := range grants {
			views = append(views, registry.GrantFromStore(g))
		}
		return r.print(views, table("GRANT\tCLIENT\tOFFLINE\tCREATED\tEXPIRES\tREVOKED", func(w io.Writer) {
			for _, g := range views {
				revoked := ""
				if !g.RevokedAt.IsZero() {
					revoked = g.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%v\t%s\t%s\t%s\n", g.ID, g.ClientID, g.Offline,
					g.CreatedAt.UTC().Format(time.RFC3339), g.ExpiresAt.UTC().Format(time.RFC3339), revoked)
			}
		}))
	})
	cmd.Flags().StringVar(&f.ClientID, "client", "", "only grants to this client_id")
	cmd.Flags().BoolVar(&f.Live, "live", false, "only grants neither revoked nor expired")
	return cmd
}
