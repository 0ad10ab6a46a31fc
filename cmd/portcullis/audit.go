package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/store"
)

func auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the security audit trail"}
	cmd.AddCommand(auditListCmd())
	return cmd
}

func auditListCmd() *cobra.Command {
	var path, since string
	var f store.AuditFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return err
				}
				f.Since = t
			}
			_, st, err := openState(ctx, path)
			if err != nil {
				return err
			}
			defer st.Close()
			events, err := st.ListAudit(ctx, f)
			if err != nil {
				return err
			}
			if asJSON {
				if events == nil {
					events = []store.AuditEvent{}
				}
				return printJSON(cmd.OutOrStdout(), events)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tEVENT\tSUBJECT\tCLIENT\tREMOTE\tDETAIL")
			for _, e := range events {
				detail, _ := json.Marshal(e.Detail)
				if e.Detail == nil {
					detail = nil
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Type, e.Subject, e.ClientID, e.Remote, detail)
			}
			return tw.Flush()
		},
	}
	configFlag(cmd, &path)
	fl := cmd.Flags()
	fl.StringVar(&f.Subject, "subject", "", "only events about this user (sub)")
	fl.StringVar(&f.ClientID, "client", "", "only events about this client_id")
	fl.StringVar(&f.Type, "type", "", "only events of this type, e.g. refresh_reuse")
	fl.StringVar(&since, "since", "", "only events since a time (RFC 3339) or a duration ago (e.g. 24h)")
	fl.IntVar(&f.Limit, "limit", 1000, "most events to list")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseSince reads an RFC 3339 time or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time or a duration such as 24h", s)
}

// recordChange writes a change made through the CLI to the audit trail at
// once: there is no server process whose queue could hold it.
func recordChange(ctx context.Context, st store.Store, typ string, e store.AuditEvent) error {
	e.Type, e.Time = typ, time.Now()
	e.Remote = "cli"
	if u, err := user.Current(); err == nil {
		e.Remote = "cli:" + u.Username
	}
	if err := st.AppendAudit(ctx, []store.AuditEvent{e}); err != nil {
		return fmt.Errorf("record the change in the audit trail: %w", err)
	}
	return nil
}
