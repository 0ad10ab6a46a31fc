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

func keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage signing keys"}
	cmd.AddCommand(keysRotateCmd(), keysListCmd(), keysRewrapCmd())
	return cmd
}

// keyView is how the CLI shows a key; never its private part.
type keyView struct {
	KID         string    `json:"kid"`
	Alg         string    `json:"alg"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatesAt time.Time `json:"activates_at"`
	// AtRest is "encrypted" or "plaintext"; empty for a key just made.
	AtRest string `json:"at_rest,omitempty"`
}

// atRest names how a stored private key is kept.
func atRest(private []byte) string {
	if keys.IsEncrypted(private) {
		return "encrypted"
	}
	return "plaintext"
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
		k, err := keys.Rotate(r.ctx, keys.Sealed(r.st, r.cfg.KeyRing()), alg, now.Add(activateIn), r.cfg.KeyRetention(), now)
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
	cmd.Flags().DurationVar(&activateIn, "activate-in", keys.DefaultActivation, "how long the key is published before it signs")
	return cmd
}

func keysListCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "list",
		Annotations: readOnly(),
		Short:       "List signing keys and their state",
		Args:        cobra.NoArgs,
	}, func(r *run, _ []string) error {
		all, err := r.st.ListKeys(r.ctx)
		if err != nil {
			return err
		}
		views := []keyView{}
		for _, k := range all {
			views = append(views, keyView{KID: k.ID, Alg: k.Alg, State: keys.State(k, all, time.Now()),
				CreatedAt: k.CreatedAt.UTC(), ActivatesAt: k.ActivatesAt.UTC(), AtRest: atRest(k.Private)})
		}
		return r.print(views, table("KID\tALG\tSTATE\tSIGNS FROM\tAT REST", func(w io.Writer) {
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.KID, v.Alg, v.State, v.ActivatesAt.Format(time.RFC3339), v.AtRest)
			}
		}))
	})
}

func keysRewrapCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "rewrap",
		Short: "Encrypt every signing key with key_encryption_key",
		Long: "Encrypt every signing key in the store with the configuration's key_encryption_key:\n" +
			"keys stored in plaintext are encrypted, keys encrypted with key_encryption_key_previous\n" +
			"are moved to key_encryption_key, keys already under it are left alone. It is one\n" +
			"transaction: a key that neither key decrypts stops it with nothing changed. Running\n" +
			"servers need both keys in their configuration while keys move (see the README).",
		Args: cobra.NoArgs,
	}, func(r *run, _ []string) error {
		ring := r.cfg.KeyRing()
		if ring.Current == nil {
			return errors.New("key_encryption_key is not set in the configuration: there is no key to encrypt with")
		}
		res, err := keys.Rewrap(r.ctx, r.st, ring)
		if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.KeysRewrapped, store.AuditEvent{
			Detail: map[string]any{"kek": ring.Current.ID(), "encrypted": res.Encrypted, "rewrapped": res.Rewrapped, "unchanged": res.Unchanged}}); err != nil {
			return err
		}
		return r.print(res, func(w io.Writer) {
			fmt.Fprintf(w, "signing keys under key-encryption key %s: %d encrypted, %d moved from the previous key, %d already there\n",
				ring.Current.ID(), len(res.Encrypted), len(res.Rewrapped), len(res.Unchanged))
		})
	})
}
