package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

func usersLinksCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "links USERNAME|ID",
		Annotations: readOnly(),
		Short:       "List a user's links to upstream identities, oldest first",
		Long: "List a user's links to upstream identities: the connector (connectors[].id) and\n" +
			"the upstream's subject that a federated sign-in finds the user by.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUserOrID(args[0])
		if err != nil {
			return err
		}
		found, err := r.st.ListLinks(r.ctx, u.ID)
		if err != nil {
			return err
		}
		views := make([]registry.Link, 0, len(found))
		for _, l := range found {
			views = append(views, registry.LinkFromStore(l))
		}
		return r.print(views, table("CONNECTOR\tSUBJECT\tCREATED", func(w io.Writer) {
			for _, l := range views {
				fmt.Fprintf(w, "%s\t%s\t%s\n", l.ConnectorID, l.Subject, l.CreatedAt.UTC().Format(time.RFC3339))
			}
		}))
	})
}

func usersUnlinkCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "unlink USERNAME|ID CONNECTOR SUBJECT",
		Short: "Remove a user's link to an upstream identity",
		Long: "Remove a user's link to an upstream identity (users links lists them). The user\n" +
			"stays, with their sessions and grants: that identity's next sign-in is handled as a\n" +
			"first one (provisioned, linked by verified email or refused, as the connector's\n" +
			"rules say). End their sessions too (users end-session) to sign the person out.",
		Args: cobra.ExactArgs(3),
	}, func(r *run, args []string) error {
		u, err := r.storedUserOrID(args[0])
		if err != nil {
			return err
		}
		connector, subject := args[1], args[2]
		err = r.st.DeleteLink(r.ctx, u.ID, connector, subject)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("user %q has no link to subject %q at connector %q", u.Username, subject, connector)
		}
		if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.LinkRemoved, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"connector": connector, "upstream_subject": subject, "username": u.Username}}); err != nil {
			return err
		}
		return r.print(map[string]any{"unlinked": map[string]string{"connector_id": connector, "subject": subject}}, func(w io.Writer) {
			fmt.Fprintf(w, "removed the link of %s to %s at %s\n", u.Username, subject, connector)
		})
	})
}
