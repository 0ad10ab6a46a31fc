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
		Short: "Revoke every token issued so far to a user or a client",
		Long: "Revoke every token issued so far to a user (--subject, the sub claim) or to a client\n" +
			"(--client), or to one user at one client with both: every live grant (refresh tokens\n" +
			"and the access tokens issued from them) and every access token, client credentials\n" +
			"tokens included, issued before the command returns. Revoking a user alone also ends\n" +
			"their sign-on sessions. Refresh tokens stop working at once; access tokens introspect\n" +
			"inactive at once and are refused by guards and the gateway within their revocation\n" +
			"bound (at once with Redis). The command takes up to a second: tokens issued in the\n" +
			"second it runs are revoked too, and tokens issued after it returns work.",
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
		c := r.cutoff(client, subject)
		n, err := r.st.RevokeAll(r.ctx, c, time.Now())
		if err != nil {
			return err
		}
		if err := r.awaitCutoff(c); err != nil {
			return err
		}
		err = recordChange(r.ctx, r.st, audit.GrantsRevoked, store.AuditEvent{Subject: subject, ClientID: client,
			Detail: map[string]any{"reason": reason, "grants": n, "not_before": c.NotBefore.Unix()}})
		if err != nil {
			return err
		}
		return r.print(map[string]any{"revoked_grants": n, "not_before": c.NotBefore.Unix()}, func(w io.Writer) {
			fmt.Fprintf(w, "revoked %d grants and every access token issued before %s\n", n, c.NotBefore.UTC().Format(time.RFC3339))
		})
	})
	cmd.Flags().StringVar(&subject, "subject", "", "the user's sub")
	cmd.Flags().StringVar(&client, "client", "", "the client_id")
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail (required)")
	return cmd
}
