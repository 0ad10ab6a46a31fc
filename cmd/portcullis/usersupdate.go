package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

func usersUpdateCmd() *cobra.Command {
	var username, claims string
	cmd := stateCmd(&cobra.Command{
		Use:   "update USERNAME",
		Short: "Change a user's claims or username",
		Long: "Change a stored user: --claims is a JSON object whose members replace the user's\n" +
			"claims of the same name (null removes one; the others stay), --username renames them.\n" +
			"Their sub does not change, so their tokens and grants stay theirs. Example:\n\n" +
			`  users update ada --claims '{"email":"ada@example.com","email_verified":true,"nickname":null}'`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("claims") && !cmd.Flags().Changed("username") {
				return errors.New("users update needs --claims or --username")
			}
			return nil
		},
	}, func(r *run, args []string) error {
		var patch map[string]any
		if claims != "" {
			if err := json.Unmarshal([]byte(claims), &patch); err != nil {
				return fmt.Errorf("--claims must be a JSON object: %w", err)
			}
		}
		u, err := r.findUser(args[0])
		if err != nil {
			return err
		}
		var out userView
		err = r.st.UpdateUser(r.ctx, u.ID, func(u *store.User) error {
			if username != "" {
				u.Username = username
			}
			for k, v := range patch {
				if u.Claims == nil {
					u.Claims = map[string]any{}
				}
				if v == nil {
					delete(u.Claims, k)
				} else {
					u.Claims[k] = v
				}
			}
			out = userView{Sub: u.ID, Username: u.Username, Claims: u.Claims, Disabled: u.Disabled}
			return nil
		})
		if errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("username %q is taken", username)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"change": "user updated", "username": out.Username}}); err != nil {
			return err
		}
		return r.print(out, func(w io.Writer) { fmt.Fprintf(w, "updated user %s (%s)\n", out.Username, out.Sub) })
	})
	cmd.Flags().StringVar(&claims, "claims", "", `claims to set as JSON, e.g. '{"name":"Ada"}'; null removes one`)
	cmd.Flags().StringVar(&username, "username", "", "the user's new username")
	return cmd
}
