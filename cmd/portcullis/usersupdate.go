package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

func usersUpdateCmd() *cobra.Command {
	var username, claims string
	var roles []string
	var setRoles bool // --roles given, if only to remove them all
	cmd := stateCmd(&cobra.Command{
		Use:   "update USERNAME",
		Short: "Change a user's claims, username or console roles",
		Long: "Change a stored user: --claims is a JSON object whose members replace the user's\n" +
			"claims of the same name (null removes one; the others stay), --username renames them.\n" +
			"Their sub does not change, so their tokens and grants stay theirs. --roles replaces\n" +
			"their console roles (admin, viewer; --roles= removes them all): their next token,\n" +
			"at sign-in or refresh, carries only the management API scopes the roles allow.\n" +
			"Example:\n\n" +
			`  users update ada --claims '{"email":"ada@example.com","email_verified":true,"nickname":null}'` + "\n" +
			`  users update ada --roles viewer`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("claims") && !cmd.Flags().Changed("username") && !cmd.Flags().Changed("roles") {
				return errors.New("users update needs --claims, --username or --roles")
			}
			setRoles = cmd.Flags().Changed("roles")
			return checkRoles(roles)
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
		var before, after store.User
		err = r.st.UpdateUser(r.ctx, u.ID, func(u *store.User) error {
			before = *u
			if username != "" {
				u.Username = username
			}
			if setRoles {
				u.Roles = roles
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
			out = userView{Sub: u.ID, Username: u.Username, Claims: u.Claims, Roles: u.Roles, Disabled: u.Disabled}
			after = *u
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
		if !slices.Equal(before.Roles, after.Roles) {
			if err := r.recordRoles(after, before.Roles); err != nil {
				return err
			}
		}
		return r.print(out, func(w io.Writer) { fmt.Fprintf(w, "updated user %s (%s)\n", out.Username, out.Sub) })
	})
	cmd.Flags().StringVar(&claims, "claims", "", `claims to set as JSON, e.g. '{"name":"Ada"}'; null removes one`)
	cmd.Flags().StringVar(&username, "username", "", "the user's new username")
	cmd.Flags().StringSliceVar(&roles, "roles", nil, "the user's console roles: admin or viewer (comma-separated; empty removes them)")
	return cmd
}
