package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

func usersSessionsCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "sessions USERNAME",
		Annotations: readOnly(),
		Short:       "List a user's live sign-on sessions, the most recent sign-in first",
		Long: "List a user's live sign-on sessions, each named by its sid (the claim of the ID\n" +
			"tokens issued in it), with the clients holding a live grant issued in it.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUser(args[0])
		if err != nil {
			return err
		}
		views, err := users.Sessions(r.ctx, r.st, u.ID, time.Now())
		if err != nil {
			return err
		}
		return r.print(views, table("SID\tCREATED\tEXPIRES\tCLIENTS", func(w io.Writer) {
			for _, s := range views {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.SID, s.CreatedAt.UTC().Format(time.RFC3339),
					s.ExpiresAt.UTC().Format(time.RFC3339), strings.Join(s.ClientIDs, ","))
			}
		}))
	})
}

func usersEndSessionCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "end-session USERNAME SID",
		Short: "End one of a user's sign-on sessions, as logout does",
		Long: "End one of a user's sign-on sessions (users sessions lists them): the grants\n" +
			"issued in it that were not authorized for offline access are revoked with their\n" +
			"tokens, as signing out does.",
		Args: cobra.ExactArgs(2),
	}, func(r *run, args []string) error {
		u, err := r.storedUser(args[0])
		if err != nil {
			return err
		}
		sid := args[1]
		n, err := users.EndSession(r.ctx, r.st, u.ID, sid, time.Now())
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("user %q has no live session %q", u.Username, sid)
		}
		if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.SessionEnded, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"sid": sid, "username": u.Username, "revoked_grants": n}}); err != nil {
			return err
		}
		return r.print(map[string]any{"ended": sid, "revoked_grants": n}, func(w io.Writer) {
			fmt.Fprintf(w, "ended session %s of %s; %d grants revoked\n", sid, u.Username, n)
		})
	})
}
