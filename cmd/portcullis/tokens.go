package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

func tokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Revoke tokens"}
	cmd.AddCommand(tokensRevokeCmd())
	return cmd
}

func tokensRevokeCmd() *cobra.Command {
	var subject, client, reason string
	cmd := stateCmd(&cobra.Command{
		Use:   "revoke",
		Short: "Revoke every live grant (refresh tokens and the access tokens issued from them) of a user or a client",
		Long: "Revoke every live grant of a user (--subject, the sub claim) or of a client (--client),\n" +
			"or of one user at one client with both. Refresh tokens stop working at once; access\n" +
			"tokens issued from them introspect inactive at once and are refused by guards within\n" +
			"their revocation bound. Client credentials tokens are not grants: they end at their\n" +
			"expiry (access_token_ttl) or when revoked one by one.",
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if subject == "" && client == "" {
				return errors.New("tokens revoke needs --subject or --client (or both)")
			}
			if reason == "" {
				return errors.New("tokens revoke needs --reason, for the audit trail")
			}
			return nil
		},
	}, func(r *run, _ []string) error {
		n, err := r.st.RevokeGrants(r.ctx, subject, client, time.Now())
		if err != nil {
			return err
		}
		err = recordChange(r.ctx, r.st, audit.GrantsRevoked, store.AuditEvent{Subject: subject, ClientID: client,
			Detail: map[string]any{"reason": reason, "grants": n}})
		if err != nil {
			return err
		}
		return r.print(map[string]any{"revoked_grants": n}, func(w io.Writer) { fmt.Fprintf(w, "revoked %d grants\n", n) })
	})
	cmd.Flags().StringVar(&subject, "subject", "", "the user's sub")
	cmd.Flags().StringVar(&client, "client", "", "the client_id")
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail (required)")
	return cmd
}
