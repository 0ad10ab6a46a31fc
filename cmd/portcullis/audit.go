package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/user"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/portcullis/portcullis/store"
)

func auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the security audit trail"}
	cmd.AddCommand(auditListCmd())
	return cmd
}

func auditListCmd() *cobra.Command {
	var f store.AuditFilter
	cmd := stateCmd(&cobra.Command{
		Use:         "list",
		Annotations: readOnly(),
		Short:       "List audit events, newest first",
		Args:        cobra.NoArgs,
	}, func(r *run, _ []string) error {
		events, err := r.st.ListAudit(r.ctx, f)
		if err != nil {
			return err
		}
		if events == nil {
			events = []store.AuditEvent{}
		}
		return r.print(events, table("TIME\tEVENT\tSUBJECT\tCLIENT\tREMOTE\tDETAIL", func(w io.Writer) {
			for _, e := range events {
				var detail []byte
				if e.Detail != nil {
					detail, _ = json.Marshal(e.Detail)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Type, e.Subject, e.ClientID, e.Remote, detail)
			}
		}))
	})
	fl := cmd.Flags()
	fl.StringVar(&f.Subject, "subject", "", "only events about this user (sub)")
	fl.StringVar(&f.ClientID, "client", "", "only events about this client_id")
	fl.StringVar(&f.Type, "type", "", "only events of this type, e.g. refresh_reuse")
	since := sinceFlag(fl, &f.Since, "events")
	var until string
	fl.StringVar(&until, "until", "", "only events before a time (RFC 3339) or a duration ago (e.g. 1h)")
	fl.Int64Var(&f.Before, "before", 0, "only events whose ID is below this one: the next page after a listing whose last event had this ID (the id in --json)")
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if err := since(cmd, args); err != nil {
			return err
		}
		if until == "" {
			return nil
		}
		t, err := parseSince(until, time.Now())
		if err != nil {
			return fmt.Errorf("--until: %w", err)
		}
		f.Until = t
		return nil
	}
	fl.IntVar(&f.Limit, "limit", 1000, "most events to list")
	return cmd
}

// sinceFlag adds --since to fl, for listings of what, and returns the
// PreRunE that parses it into *into: flags are checked before the
// configuration and the store are touched.
func sinceFlag(fl *pflag.FlagSet, into *time.Time, what string) func(*cobra.Command, []string) error {
	var since string
	fl.StringVar(&since, "since", "", "only "+what+" since a time (RFC 3339) or a duration ago (e.g. 24h)")
	return func(*cobra.Command, []string) error {
		if since == "" {
			return nil
		}
		t, err := parseSince(since, time.Now())
		*into = t
		return err
	}
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
