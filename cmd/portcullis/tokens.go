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
	var subject, client, reason, jti, expires string
	var expiresAt time.Time
	cmd := stateCmd(&cobra.Command{
		Use:   "revoke",
		Short: "Revoke every token issued so far to a user or a client, or one access token",
		Long: "Revoke every token issued so far to a user (--subject, the sub claim) or to a client\n" +
			"(--client), or to one user at one client with both: every live grant (refresh tokens\n" +
			"and the access tokens issued from them) and every access token, client credentials\n" +
			"tokens included, issued before the command returns. Revoking a user alone also ends\n" +
			"their sign-on sessions. Refresh tokens stop working at once; access tokens introspect\n" +
			"inactive at once and are refused by guards and the gateway within their revocation\n" +
			"bound (at once with Redis). The command takes up to a second: tokens issued in the\n" +
			"second it runs are revoked too, and tokens issued after it returns work. --jti revokes\n" +
			"one access token instead, until --expires-at (its exp) or the longest token lifetime.",
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if jti != "" && (subject != "" || client != "") {
				return errors.New("tokens revoke takes --jti alone, or --subject and/or --client")
			}
			if subject == "" && client == "" && jti == "" {
				return errors.New("tokens revoke needs --subject or --client (or both), or --jti")
			}
			if expires != "" {
				t, err := time.Parse(time.RFC3339, expires)
				if err != nil || jti == "" || !t.After(time.Now()) {
					return errors.New("--expires-at must be a future RFC 3339 time, with --jti")
				}
				expiresAt = t
			}
			if reason == "" {
				return errors.New("tokens revoke needs --reason, for the audit trail")
			}
			return nil
		},
	}, func(r *run, _ []string) error {
		if jti != "" {
			return r.revokeToken(jti, expiresAt, reason)
		}
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
	cmd.Flags().StringVar(&jti, "jti", "", "revoke only the access token with this jti")
	cmd.Flags().StringVar(&expires, "expires-at", "", "when the --jti token expires (RFC 3339), so its revocation is forgotten then (default: the longest access token lifetime from now)")
	return cmd
}

// revokeToken revokes one access token until exp, or for the longest
// access token lifetime when exp is zero or later, as the management API
// does.
func (r *run) revokeToken(jti string, exp time.Time, reason string) error {
	now := time.Now()
	if longest := now.Add(r.cfg.AccessTokenTTL + store.CutoffSkew); exp.IsZero() || exp.After(longest) {
		exp = longest
	}
	if err := r.st.RevokeToken(r.ctx, store.Revocation{JTI: jti, ExpiresAt: exp, RevokedAt: now}); err != nil {
		return err
	}
	if err := recordChange(r.ctx, r.st, audit.TokenRevoked, store.AuditEvent{
		Detail: map[string]any{"jti": jti, "reason": reason}}); err != nil {
		return err
	}
	return r.print(map[string]any{"revoked_jti": jti}, func(w io.Writer) { fmt.Fprintf(w, "revoked access token %s\n", jti) })
}
