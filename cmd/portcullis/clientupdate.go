package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// errFileClient refuses a change to a client the configuration file
// defines: the file would undo it at the next start.
func errFileClient(id string) error {
	return fmt.Errorf("client %q is defined in the configuration file; change it there", id)
}

// isFileClient reports whether the configuration file defines id.
func (r *run) isFileClient(id string) bool {
	return slices.ContainsFunc(r.cfg.Clients, func(c config.Client) bool { return c.ClientID == id })
}

func clientsGetCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "get CLIENT_ID",
		Annotations: readOnly(),
		Short:       "Show a client's metadata, as the management API does",
		Args:        cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		id := args[0]
		var v registry.ClientInfo
		if i := slices.IndexFunc(r.cfg.AuthServer().Clients, func(c store.Client) bool { return c.ID == id }); i >= 0 {
			v = registry.ClientFromStore(r.cfg.AuthServer().Clients[i], registry.SourceConfig)
		} else {
			c, err := r.st.GetClient(r.ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no client %q", id)
			} else if err != nil {
				return err
			}
			v = registry.ClientFromStore(c, registry.SourceStore)
		}
		return r.print(v, func(w io.Writer) { printJSON(w, v) })
	})
}

func clientsUpdateCmd() *cobra.Command {
	var f *clientFlags
	cmd := stateCmd(&cobra.Command{
		Use:   "update CLIENT_ID",
		Short: "Change a stored client: only the fields whose flags are given",
		Long: "Change the metadata of a client in the store: each flag given replaces that field\n" +
			"(a list flag replaces the whole list; an empty value clears it), the others stay.\n" +
			"The result is validated as the configuration file's clients are. The secret stays\n" +
			"(rotate-secret replaces it); a client moved to a secret auth method gets one, printed once.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		id := args[0]
		if r.isFileClient(id) {
			return errFileClient(id)
		}
		apis, err := r.st.ListAPIs(r.ctx)
		if err != nil {
			return err
		}
		var out createdClient
		err = r.st.UpdateClient(r.ctx, id, func(c *store.Client) error {
			cl := registry.ClientFromStore(*c, registry.SourceStore).Client
			if err := f.apply(&cl); err != nil {
				return err
			}
			next, secret, err := r.cfg.ReplaceClient(*c, cl, apis, time.Now())
			if err != nil {
				return fmt.Errorf("client not updated:\n%w", err)
			}
			*c, out.ClientSecret = next, secret
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no client %q in the store", id)
		} else if err != nil {
			return err
		}
		c, err := r.st.GetClient(r.ctx, id)
		if err != nil {
			return err
		}
		out.ClientInfo = registry.ClientFromStore(c, registry.SourceStore)
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{ClientID: id,
			Detail: map[string]any{"change": "client updated"}}); err != nil {
			return err
		}
		return r.printCreated(out, "updated")
	})
	f = addClientFlags(cmd.Flags())
	return cmd
}

func clientsRotateSecretCmd() *cobra.Command {
	var overlap time.Duration
	cmd := stateCmd(&cobra.Command{
		Use:   "rotate-secret CLIENT_ID",
		Short: "Give a stored client a new secret, printed once; the old one works for --overlap",
		Args:  cobra.ExactArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			if overlap < 0 || overlap > store.MaxSecretOverlap {
				return fmt.Errorf("--overlap must be between 0s and %v", store.MaxSecretOverlap)
			}
			return nil
		},
	}, func(r *run, args []string) error {
		id := args[0]
		if r.isFileClient(id) {
			return errFileClient(id)
		}
		secret, hash := authserver.NewSecret()
		out := registry.NewSecret{ClientSecret: secret}
		err := r.st.UpdateClient(r.ctx, id, func(c *store.Client) error {
			if !store.UsesSecret(c.AuthMethod) {
				return fmt.Errorf("client %q authenticates with %s, not a secret", id, c.AuthMethod)
			}
			c.RotateSecret(hash, overlap, time.Now().UTC())
			out.PreviousSecretExpiresAt = c.PreviousSecretExpiresAt
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no client %q in the store", id)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{ClientID: id,
			Detail: map[string]any{"change": "client secret rotated", "overlap": overlap.String()}}); err != nil {
			return err
		}
		return r.print(out, func(w io.Writer) {
			fmt.Fprintf(w, "new client secret: %s\nIt is shown only now: store it safely.\n", secret)
			if !out.PreviousSecretExpiresAt.IsZero() {
				fmt.Fprintf(w, "The old secret works until %s.\n", out.PreviousSecretExpiresAt.Format(time.RFC3339))
			} else {
				fmt.Fprintln(w, "The old secret no longer works.")
			}
		})
	})
	cmd.Flags().DurationVar(&overlap, "overlap", 0, "how long the old secret stays valid, so the client's instances can move to the new one (at most 168h)")
	return cmd
}
