package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

func clientsSuspendCmd() *cobra.Command {
	var period time.Duration
	var reason string
	cmd := stateCmd(&cobra.Command{
		Use:   "suspend CLIENT_ID",
		Short: "Suspend a client for a period: it is refused authentication (invalid_client)",
		Long: "Suspend a client, of the configuration file or the store, for --for: every endpoint\n" +
			"that authenticates clients answers it invalid_client, saying until when. Its tokens\n" +
			"are not revoked (tokens revoke --client does that). Running servers see it within\n" +
			usage.SuspensionPoll.String() + ". A new suspension replaces the last; clients resume ends it early.",
		Args: cobra.ExactArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			if period < time.Minute {
				return errors.New("--for must be at least 1m")
			}
			return nil
		},
	}, func(r *run, args []string) error {
		id := args[0]
		if err := r.clientExists(id); err != nil {
			return err
		}
		now := time.Now()
		s := store.Suspension{ClientID: id, Until: now.Add(period).Truncate(time.Second), Reason: "operator", CreatedAt: now}
		if reason != "" {
			s.Reason = "operator: " + reason
		}
		if err := r.st.SuspendClient(r.ctx, s); err != nil {
			return err
		}
		until := s.Until.UTC().Format(time.RFC3339)
		if err := recordChange(r.ctx, r.st, audit.ClientSuspended, store.AuditEvent{ClientID: id,
			Detail: map[string]any{"until": until, "reason": s.Reason}}); err != nil {
			return err
		}
		return r.print(map[string]string{"suspended": id, "until": until}, func(w io.Writer) {
			fmt.Fprintf(w, "suspended client %s until %s\n", id, until)
		})
	})
	cmd.Flags().DurationVar(&period, "for", 0, "how long, e.g. 1h (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	cmd.MarkFlagRequired("for")
	return cmd
}

func clientsResumeCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "resume CLIENT_ID",
		Short: "End a client's suspension, by anomaly detection or clients suspend, now",
		Long:  "End a client's suspension now. Running servers accept the client again within " + usage.SuspensionPoll.String() + ".",
		Args:  cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		id := args[0]
		was, err := r.st.ResumeClient(r.ctx, id, time.Now())
		if err != nil {
			return err
		}
		if !was {
			return r.print(map[string]any{"resumed": id, "was_suspended": false}, func(w io.Writer) {
				fmt.Fprintf(w, "client %s was not suspended\n", id)
			})
		}
		if err := recordChange(r.ctx, r.st, audit.ClientResumed, store.AuditEvent{ClientID: id}); err != nil {
			return err
		}
		return r.print(map[string]any{"resumed": id, "was_suspended": true}, func(w io.Writer) {
			fmt.Fprintf(w, "resumed client %s\n", id)
		})
	})
}

// clientExists checks that id names a client of the file or the store.
func (r *run) clientExists(id string) error {
	if slices.ContainsFunc(r.cfg.Clients, func(c config.Client) bool { return c.ClientID == id }) {
		return nil
	}
	if _, err := r.st.GetClient(r.ctx, id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no client %q in the configuration file or the store", id)
	} else if err != nil {
		return err
	}
	return nil
}
