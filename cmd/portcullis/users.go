package main

import (
	"bufio"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

func usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage the people who sign in"}
	cmd.AddCommand(usersAddCmd(), usersListCmd(), usersUpdateCmd(), usersGrantsCmd(), usersSessionsCmd(), usersEndSessionCmd(), usersLinksCmd(), usersUnlinkCmd(), usersFactorsCmd(), usersResetFactorsCmd(), usersDeleteCmd(), usersSetPasswordCmd(), usersDisableCmd(), usersEnableCmd())
	return cmd
}

// userView is how the CLI shows a user; never the password hash.
type userView struct {
	Sub      string         `json:"sub"`
	Username string         `json:"username"`
	Claims   map[string]any `json:"claims,omitempty"`
	Roles    []string       `json:"roles,omitempty"`
	Disabled bool           `json:"disabled"`
	// Password is set only when the CLI generated it: shown once.
	Password string `json:"password,omitempty"`
}

// checkRoles checks the roles of --roles as the configuration and the
// management API check them.
func checkRoles(roles []string) error {
	var errs []error
	for _, p := range registry.CheckRoles(roles) {
		errs = append(errs, fmt.Errorf("--roles: roles[%d] %q: %s", p.Index, roles[p.Index], p.Detail))
	}
	return errors.Join(errs...)
}

// recordRoles audits a change of u's console roles from previous.
func (r *run) recordRoles(u store.User, previous []string) error {
	return recordChange(r.ctx, r.st, audit.RolesChanged, audit.RolesChange(u, previous))
}

// newPassword returns a generated password of about 130 bits.
func newPassword() string { return rand.Text() }

// readPassword takes the password from standard input when --password-stdin
// is set (never from a flag, which other users could see in the process
// list), or generates one.
func readPassword(in io.Reader, fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		return newPassword(), true, nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if len(pw) < config.MinPasswordLength {
		return "", false, fmt.Errorf("the password must have at least %d characters", config.MinPasswordLength)
	}
	return pw, false, nil
}

func usersAddCmd() *cobra.Command {
	var username, claims string
	var roles []string
	var stdin bool
	cmd := stateCmd(&cobra.Command{
		Use:   "add",
		Short: "Add a user (password from --password-stdin, or generated and printed once)",
		Args:  cobra.NoArgs,
	}, func(r *run, _ []string) error {
		var cl map[string]any
		if claims != "" {
			if err := json.Unmarshal([]byte(claims), &cl); err != nil {
				return fmt.Errorf("--claims must be a JSON object: %w", err)
			}
		}
		if err := checkRoles(roles); err != nil {
			return err
		}
		pw, generated, err := readPassword(r.in, stdin)
		if err != nil {
			return err
		}
		u, err := users.Create(r.ctx, r.st, username, pw, cl, roles, time.Now().UTC())
		if errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("user %q already exists", username)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"change": "user added", "username": u.Username}}); err != nil {
			return err
		}
		if len(roles) > 0 {
			if err := r.recordRoles(u, nil); err != nil {
				return err
			}
		}
		v := userView{Sub: u.ID, Username: u.Username, Claims: cl, Roles: u.Roles}
		if generated {
			v.Password = pw
		}
		return r.print(v, func(w io.Writer) {
			fmt.Fprintf(w, "added user %s (sub %s)\n", u.Username, u.ID)
			if generated {
				fmt.Fprintf(w, "password: %s\nIt is shown only now.\n", pw)
			}
		})
	})
	cmd.Flags().StringVar(&username, "username", "", "username (required)")
	cmd.Flags().StringVar(&claims, "claims", "", `OpenID Connect claims as JSON, e.g. '{"name":"Ada","email":"ada@example.com"}'`)
	cmd.Flags().StringSliceVar(&roles, "roles", nil, "console roles: admin or viewer (comma-separated)")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
	cmd.MarkFlagRequired("username")
	return cmd
}

func usersListCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "list",
		Annotations: readOnly(),
		Short:       "List users",
		Args:        cobra.NoArgs,
	}, func(r *run, _ []string) error {
		all, err := r.st.ListUsers(r.ctx)
		if err != nil {
			return err
		}
		views := []userView{}
		for _, u := range all {
			views = append(views, userView{Sub: u.ID, Username: u.Username, Claims: u.Claims, Roles: u.Roles, Disabled: u.Disabled})
		}
		return r.print(views, table("USERNAME\tSUB\tSTATE\tROLES\tNAME\tEMAIL", func(w io.Writer) {
			for _, v := range views {
				state := "enabled"
				if v.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%v\n", v.Username, v.Sub, state, cmp.Or(strings.Join(v.Roles, ","), "-"),
					orEmpty(v.Claims["name"]), orEmpty(v.Claims["email"]))
			}
		}))
	})
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// findUser loads a user by username and refuses users the configuration
// file defines: the file would undo the change at the next start.
func (r *run) findUser(username string) (store.User, error) {
	if slices.ContainsFunc(r.cfg.Users, func(u config.User) bool { return strings.EqualFold(u.Username, username) }) {
		return store.User{}, fmt.Errorf("user %q is defined in the configuration file; change it there", username)
	}
	return r.storedUser(username)
}

// storedUser loads a user by username, whether or not the configuration
// file defines them.
func (r *run) storedUser(username string) (store.User, error) {
	u, err := r.st.GetUserByUsername(r.ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("no user %q", username)
	}
	return u, err
}

// storedUserOrID loads a user by username or, when none has it, by ID
// (the subject the management API and the audit trail name them by).
func (r *run) storedUserOrID(nameOrID string) (store.User, error) {
	u, err := r.st.GetUserByUsername(r.ctx, nameOrID)
	if errors.Is(err, store.ErrNotFound) {
		u, err = r.st.GetUser(r.ctx, nameOrID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("no user with username or id %q", nameOrID)
	}
	return u, err
}

func usersDeleteCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "delete USERNAME",
		Short: "Delete a user, ending their sessions and revoking their tokens",
		Long: "Delete a user: their sessions end and every token issued to them (refresh tokens,\n" +
			"access tokens, grants) is revoked, as tokens revoke --subject does.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.findUser(args[0])
		if err != nil {
			return err
		}
		c := r.cutoff("", u.ID)
		if err := r.st.DeleteUser(r.ctx, c, time.Now(), nil); err != nil {
			return err
		}
		if err := r.awaitCutoff(c); err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"change": "user deleted", "username": u.Username}}); err != nil {
			return err
		}
		return r.print(map[string]string{"deleted": u.Username}, func(w io.Writer) {
			fmt.Fprintf(w, "deleted user %s; their sessions are ended and their tokens revoked\n", u.Username)
		})
	})
}

func usersSetPasswordCmd() *cobra.Command {
	var stdin bool
	cmd := stateCmd(&cobra.Command{
		Use:   "set-password USERNAME",
		Short: "Set a user's password, ending their sessions and revoking their tokens",
		Long: "Set a user's password (from --password-stdin, or generated and printed once). Their\n" +
			"sessions end and every token issued to them (refresh tokens, access tokens, grants)\n" +
			"is revoked, as tokens revoke --subject does: whoever knew the old password keeps\n" +
			"nothing it won.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		pw, generated, err := readPassword(r.in, stdin)
		if err != nil {
			return err
		}
		u, err := r.findUser(args[0])
		if err != nil {
			return err
		}
		c := r.cutoff("", u.ID)
		n, err := users.SetPassword(r.ctx, r.st, c, pw, time.Now(), nil)
		if err != nil {
			return err
		}
		if err := r.awaitCutoff(c); err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{Subject: u.ID,
			Detail: map[string]any{"change": "password set", "username": u.Username, "revoked_grants": n}}); err != nil {
			return err
		}
		v := map[string]string{"username": u.Username}
		if generated {
			v["password"] = pw
		}
		return r.print(v, func(w io.Writer) {
			fmt.Fprintf(w, "password of %s changed; their sessions are ended and their tokens revoked\n", u.Username)
			if generated {
				fmt.Fprintf(w, "password: %s\nIt is shown only now.\n", pw)
			}
		})
	})
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
	return cmd
}

func usersDisableCmd() *cobra.Command {
	var reason string
	cmd := stateCmd(&cobra.Command{
		Use:   "disable USERNAME",
		Short: "Disable a user, ending their sessions and revoking their tokens",
		Long: "Disable a user: they cannot sign in (the login page answers as for a wrong\n" +
			"password), their sessions end and every token issued to them (refresh tokens,\n" +
			"access tokens, grants) is revoked, as tokens revoke --subject does. The user and\n" +
			"their consents are kept; users enable lets them sign in again, with new tokens.\n" +
			"Users defined in the configuration file can be disabled too: starting the server\n" +
			"does not undo it. Disabling a disabled user revokes their tokens again.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUser(args[0])
		if err != nil {
			return err
		}
		c := r.cutoff("", u.ID)
		n, err := users.Disable(r.ctx, r.st, c, time.Now())
		if err != nil {
			return err
		}
		if err := r.awaitCutoff(c); err != nil {
			return err
		}
		detail := map[string]any{"username": u.Username, "revoked_grants": n, "not_before": c.NotBefore.Unix()}
		if reason != "" {
			detail["reason"] = reason
		}
		if err := recordChange(r.ctx, r.st, audit.UserDisabled, store.AuditEvent{Subject: u.ID, Detail: detail}); err != nil {
			return err
		}
		return r.print(map[string]any{"disabled": u.Username, "revoked_grants": n}, func(w io.Writer) {
			fmt.Fprintf(w, "disabled user %s; their sessions are ended and their tokens revoked (%d grants)\n", u.Username, n)
		})
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return cmd
}

func usersEnableCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "enable USERNAME",
		Short: "Let a disabled user sign in again",
		Long: "Let a disabled user sign in again. What disabling revoked stays revoked: the user\n" +
			"signs in afresh and their applications get new tokens.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		u, err := r.storedUser(args[0])
		if err != nil {
			return err
		}
		was, err := users.Enable(r.ctx, r.st, u.ID)
		if err != nil {
			return err
		}
		if was {
			if err := recordChange(r.ctx, r.st, audit.UserEnabled, store.AuditEvent{Subject: u.ID,
				Detail: map[string]any{"username": u.Username}}); err != nil {
				return err
			}
		}
		return r.print(map[string]any{"enabled": u.Username, "was_disabled": was}, func(w io.Writer) {
			if was {
				fmt.Fprintf(w, "enabled user %s\n", u.Username)
			} else {
				fmt.Fprintf(w, "user %s was not disabled\n", u.Username)
			}
		})
	})
}
