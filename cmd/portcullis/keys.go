package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/store"
)

// defaultActivation is how long a rotated key is published before it signs:
// longer than relying parties may cache the JWKS (5 minutes) plus the
// servers' key reload interval.
const defaultActivation = 10 * time.Minute

func keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage signing keys"}
	cmd.AddCommand(keysRotateCmd(), keysListCmd())
	return cmd
}

// keyView is how the CLI shows a key; never its private part.
type keyView struct {
	KID         string    `json:"kid"`
	Alg         string    `json:"alg"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatesAt time.Time `json:"activates_at"`
}

func keysRotateCmd() *cobra.Command {
	var alg string
	var activateIn time.Duration
	cmd := stateCmd(&cobra.Command{
		Use:   "rotate",
		Short: "Add a signing key that is published now and signs after --activate-in",
		Args:  cobra.NoArgs,
	}, func(r *run, _ []string) error {
		if alg == "" {
			alg = r.cfg.Keys.AccessTokenAlg
		}
		if !slices.Contains(r.cfg.Algorithms(), alg) {
			return fmt.Errorf("--alg %s: the configuration keeps keys for %v only", alg, r.cfg.Algorithms())
		}
		if activateIn < 0 {
			return errors.New("--activate-in must not be negative")
		}
		now := time.Now()
		k, err := keys.Rotate(r.ctx, r.st, alg, now.Add(activateIn), r.cfg.KeyRetention(), now)
		if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.KeyRotated, store.AuditEvent{
			Detail: map[string]any{"kid": k.ID, "alg": k.Alg, "activates_at": k.ActivatesAt.UTC().Format(time.RFC3339)}}); err != nil {
			return err
		}
		v := keyView{KID: k.ID, Alg: k.Alg, State: "published", CreatedAt: k.CreatedAt.UTC(), ActivatesAt: k.ActivatesAt.UTC()}
		return r.print(v, func(w io.Writer) {
			fmt.Fprintf(w, "added %s key %s: published now, signs from %s\n", v.Alg, v.KID, v.ActivatesAt.Format(time.RFC3339))
		})
	})
	cmd.Flags().StringVar(&alg, "alg", "", "algorithm of the new key (default: the access token algorithm)")
	cmd.Flags().DurationVar(&activateIn, "activate-in", defaultActivation, "how long the key is published before it signs")
	return cmd
}

func keysListCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "list",
		Short: "List signing keys and their state",
		Args:  cobra.NoArgs,
	}, func(r *run, _ []string) error {
		all, err := r.st.ListKeys(r.ctx)
		if err != nil {
			return err
		}
		views := []keyView{}
		for _, k := range all {
			views = append(views, keyView{KID: k.ID, Alg: k.Alg, State: keys.State(k, all, time.Now()),
				CreatedAt: k.CreatedAt.UTC(), ActivatesAt: k.ActivatesAt.UTC()})
		}
		return r.print(views, table("KID\tALG\tSTATE\tSIGNS FROM", func(w io.Writer) {
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.KID, v.Alg, v.State, v.ActivatesAt.Format(time.RFC3339))
			}
		}))
	})
}
