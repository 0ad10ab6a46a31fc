package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store"
)

func clientsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients in the store"}
	cmd.AddCommand(clientsCreateCmd(), clientsListCmd(), clientsDeleteCmd())
	return cmd
}

// clientView is how the CLI shows a client; it never holds a secret digest.
type clientView struct {
	ClientID   string   `json:"client_id"`
	Name       string   `json:"client_name,omitempty"`
	AuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes []string `json:"grant_types"`
	Scopes     []string `json:"scopes"`
	JWKSURI    string   `json:"jwks_uri,omitempty"`
	Source     string   `json:"source"`
	// ClientSecret is set only in the answer to create: it is shown once.
	ClientSecret string `json:"client_secret,omitempty"`
}

func view(c store.Client, source string) clientView {
	return clientView{ClientID: c.ID, Name: c.Name, AuthMethod: c.AuthMethod, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, JWKSURI: c.JWKSURI, Source: source}
}

func clientsCreateCmd() *cobra.Command {
	var path, id, name, method, jwksURI string
	var grants, scopes []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register a client; a generated secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, st, err := openState(ctx, path)
			if err != nil {
				return err
			}
			defer st.Close()
			cl := config.Client{ClientID: id, Name: name, TokenEndpointAuthMethod: method,
				GrantTypes: grants, Scopes: scopes, JWKSURI: jwksURI}
			var secret string
			if method != store.AuthPrivateKey {
				secret, _ = authserver.NewSecret()
				cl.ClientSecret = secret
			}
			sc, err := cfg.NewClient(cl)
			if err != nil {
				return fmt.Errorf("client not created:\n%w", err)
			}
			sc.CreatedAt = time.Now().UTC()
			if err := st.CreateClient(ctx, sc); errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("client %q already exists", id)
			} else if err != nil {
				return err
			}
			if err := recordChange(ctx, st, audit.ConfigChanged, store.AuditEvent{ClientID: sc.ID,
				Detail: map[string]any{"change": "client created", "auth_method": sc.AuthMethod}}); err != nil {
				return err
			}
			v := view(sc, "store")
			v.ClientSecret = secret
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "created client %s (%s)\n", v.ClientID, v.AuthMethod)
			if secret != "" {
				fmt.Fprintf(out, "client secret: %s\nIt is shown only now: store it safely.\n", secret)
			}
			return nil
		},
	}
	configFlag(cmd, &path)
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "client_id (required)")
	f.StringVar(&name, "name", "", "human-readable client name")
	f.StringVar(&method, "auth-method", store.AuthSecretBasic, "client_secret_basic, client_secret_post or private_key_jwt")
	f.StringVar(&jwksURI, "jwks-uri", "", "where the client publishes its keys (private_key_jwt)")
	f.StringSliceVar(&grants, "grant-types", []string{"client_credentials"}, "grant types")
	f.StringSliceVar(&scopes, "scopes", nil, "scopes the client may be granted")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("id")
	return cmd
}

func clientsListCmd() *cobra.Command {
	var path string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List clients, from the configuration file and the store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, st, err := openState(ctx, path)
			if err != nil {
				return err
			}
			defer st.Close()
			stored, err := st.ListClients(ctx)
			if err != nil {
				return err
			}
			views := []clientView{}
			for _, c := range cfg.AuthServer().Clients {
				views = append(views, view(c, "config"))
			}
			for _, c := range stored {
				views = append(views, view(c, "store"))
			}
			slices.SortFunc(views, func(a, b clientView) int { return strings.Compare(a.ClientID, b.ClientID) })
			if asJSON {
				return printJSON(cmd.OutOrStdout(), views)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT ID\tSOURCE\tAUTH METHOD\tGRANT TYPES\tSCOPES")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ClientID, v.Source, v.AuthMethod,
					strings.Join(v.GrantTypes, ","), strings.Join(v.Scopes, " "))
			}
			return tw.Flush()
		},
	}
	configFlag(cmd, &path)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func clientsDeleteCmd() *cobra.Command {
	var path string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client from the store",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg, st, err := openState(ctx, path)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, c := range cfg.Clients {
				if c.ClientID == args[0] {
					return fmt.Errorf("client %q is defined in the configuration file; remove it there", args[0])
				}
			}
			if err := st.DeleteClient(ctx, args[0]); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no client %q in the store", args[0])
			} else if err != nil {
				return err
			}
			if err := recordChange(ctx, st, audit.ConfigChanged, store.AuditEvent{ClientID: args[0],
				Detail: map[string]any{"change": "client deleted"}}); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]string{"deleted": args[0]})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "deleted client %s\n", args[0])
			return err
		},
	}
	configFlag(cmd, &path)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
