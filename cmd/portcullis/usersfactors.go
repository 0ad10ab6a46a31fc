package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

func usersFactorsCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "factors USERNAME|ID",
		Annotations: readOnly(),
		Short:       "List a user's authentication factors (passkeys, TOTP) and recovery codes left",
		Long: "List the factors a user enrolled (passkeys and TOTP generators), oldest first,\n" +
			"and how many unused recovery codes they have. A factor's secret is never shown.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUserOrID(args[0])
		if err != nil {
			return err
		}
		view, err := users.Factors(r.ctx, r.st, u.ID)
		if err != nil {
			return err
		}
		return r.print(view, func(w io.Writer) {
			table("ID\tKIND\tNAME\tCREATED\tLAST USED", func(w io.Writer) {
				for _, f := range view.Items {
					used := "never"
					if f.LastUsedAt != nil {
						used = f.LastUsedAt.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", f.ID, f.Kind, f.Name, f.CreatedAt.UTC().Format(time.RFC3339), used)
				}
			})(w)
			fmt.Fprintf(w, "recovery codes left: %d\n", view.RecoveryCodesLeft)
		})
	})
}

func usersResetFactorsCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "reset-factors USERNAME|ID",
		Short: "Remove every factor and recovery code of a user who lost their devices",
		Long: "Remove every factor (passkeys, TOTP) and recovery code of a user who lost their\n" +
			"devices. Where MFA is required, their next sign-in enrols a factor anew. Their\n" +
			"sessions go on: end them too (users end-session) if a device was stolen.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUserOrID(args[0])
		if err != nil {
			return err
		}
		n, err := r.st.DeleteFactors(r.ctx, u.ID)
		if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.FactorsReset, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"username": u.Username, "removed": n}}); err != nil {
			return err
		}
		return r.print(map[string]any{"removed": n}, func(w io.Writer) {
			fmt.Fprintf(w, "removed %d factors of %s and their recovery codes\n", n, u.Username)
		})
	})
}
