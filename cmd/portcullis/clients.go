package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

func clientsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients in the store"}
	cmd.AddCommand(clientsCreateCmd(), clientsListCmd(), clientsGetCmd(), clientsUpdateCmd(), clientsRotateSecretCmd(),
		clientsDeleteCmd(), clientsSuspendCmd(), clientsResumeCmd())
	return cmd
}

// createdClient is the answer to clients create and update: the client as
// the management API shows it and, when one was generated, its secret,
// shown only this once.
type createdClient struct {
	registry.ClientInfo
	ClientSecret string `json:"client_secret,omitempty"`
}

func clientsCreateCmd() *cobra.Command {
	var id string
	var f *clientFlags
	cmd := stateCmd(&cobra.Command{
		Use:   "create",
		Short: "Register a client; a generated secret is printed once",
		Long: "Register a client with the metadata the flags give, validated as the configuration\n" +
			"file's clients are. A confidential client gets a generated secret, printed once; a\n" +
			"public client (--auth-method none: a single-page or native app) and a private_key_jwt\n" +
			"client (--jwks FILE or --jwks-uri) get none. Examples:\n\n" +
			"  clients create --id reports --scopes read:users\n" +
			"  clients create --id web --redirect-uris https://app.example.com/callback --scopes openid,profile\n" +
			"  clients create --id spa --auth-method none --redirect-uris https://app.example.com/cb --scopes openid\n" +
			"  clients create --id cli --auth-method none --application-type native --redirect-uris http://127.0.0.1/cb",
		Args: cobra.NoArgs,
	}, func(r *run, _ []string) error {
		cl := registry.Client{ClientID: id, GrantTypes: []string{"client_credentials"}}
		if f.changed("redirect-uris") {
			cl.GrantTypes = []string{"authorization_code", "refresh_token"}
		}
		if err := f.apply(&cl); err != nil {
			return err
		}
		if store.UsesSecret(cl.TokenEndpointAuthMethod) {
			cl.ClientSecret, _ = authserver.NewSecret()
		}
		apis, err := r.st.ListAPIs(r.ctx)
		if err != nil {
			return err
		}
		sc, err := r.cfg.NewClient(cl, apis)
		if err != nil {
			return fmt.Errorf("client not created:\n%w", err)
		}
		sc.CreatedAt = time.Now().UTC()
		if err := r.st.CreateClient(r.ctx, sc); errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("client %q already exists", id)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{ClientID: sc.ID,
			Detail: map[string]any{"change": "client created", "auth_method": sc.AuthMethod}}); err != nil {
			return err
		}
		return r.printCreated(createdClient{registry.ClientFromStore(sc, registry.SourceStore), cl.ClientSecret}, "created")
	})
	cmd.Flags().StringVar(&id, "id", "", "client_id (required)")
	f = addClientFlags(cmd.Flags())
	cmd.MarkFlagRequired("id")
	return cmd
}

// printCreated shows a created or updated client and its new secret.
func (r *run) printCreated(v createdClient, what string) error {
	return r.print(v, func(w io.Writer) {
		fmt.Fprintf(w, "%s client %s (%s)\n", what, v.ClientID, v.TokenEndpointAuthMethod)
		if v.ClientSecret != "" {
			fmt.Fprintf(w, "client secret: %s\nIt is shown only now: store it safely.\n", v.ClientSecret)
		}
	})
}

func clientsListCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "list",
		Annotations: readOnly(),
		Short:       "List clients, from the configuration file and the store",
		Args:        cobra.NoArgs,
	}, func(r *run, _ []string) error {
		stored, err := r.st.ListClients(r.ctx)
		if err != nil {
			return err
		}
		views := []registry.ClientInfo{}
		for _, c := range r.cfg.AuthServer().Clients {
			views = append(views, registry.ClientFromStore(c, registry.SourceConfig))
		}
		for _, c := range stored {
			views = append(views, registry.ClientFromStore(c, registry.SourceStore))
		}
		slices.SortFunc(views, func(a, b registry.ClientInfo) int { return strings.Compare(a.ClientID, b.ClientID) })
		return r.print(views, table("CLIENT ID\tSOURCE\tAUTH METHOD\tGRANT TYPES\tSCOPES", func(w io.Writer) {
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.ClientID, v.Source, v.TokenEndpointAuthMethod,
					strings.Join(v.GrantTypes, ","), strings.Join(v.Scopes, " "))
			}
		}))
	})
}

func clientsDeleteCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client from the store and revoke every token issued to it",
		Long: "Delete a client from the store and, in the same transaction, revoke every token issued\n" +
			"to it, as tokens revoke --client does. The revocation outlives the client: creating a\n" +
			"client with the same ID later revives none of the old tokens.",
		Args: cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		id := args[0]
		if slices.ContainsFunc(r.cfg.Clients, func(c config.Client) bool { return c.ClientID == id }) {
			return fmt.Errorf("client %q is defined in the configuration file; remove it there", id)
		}
		c := r.cutoff(id, "")
		if err := r.st.DeleteClient(r.ctx, c, time.Now(), nil); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no client %q in the store", id)
		} else if err != nil {
			return err
		}
		if err := r.awaitCutoff(c); err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{ClientID: id,
			Detail: map[string]any{"change": "client deleted"}}); err != nil {
			return err
		}
		return r.print(map[string]string{"deleted": id}, func(w io.Writer) { fmt.Fprintf(w, "deleted client %s; its tokens are revoked\n", id) })
	})
}
