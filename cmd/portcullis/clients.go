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
	"github.com/portcullis/portcullis/store"
)

func clientsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients in the store"}
	cmd.AddCommand(clientsCreateCmd(), clientsListCmd(), clientsDeleteCmd(), clientsSuspendCmd(), clientsResumeCmd())
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
	// AssertionAudience is set when the client also accepts the token
	// endpoint as its assertions' aud.
	AssertionAudience string `json:"assertion_audience,omitempty"`
	// DefaultAudience is set when the client overrides the file's
	// default_audience.
	DefaultAudience string `json:"default_audience,omitempty"`
	// IntrospectAny is set when the client may introspect every token.
	IntrospectAny bool `json:"introspect_any,omitempty"`
	// DPoPBoundAccessTokens is set when the client must send DPoP proofs.
	DPoPBoundAccessTokens bool   `json:"dpop_bound_access_tokens,omitempty"`
	Source                string `json:"source"`
	// ClientSecret is set only in the answer to create: it is shown once.
	ClientSecret string `json:"client_secret,omitempty"`
}

func view(c store.Client, source string) clientView {
	return clientView{ClientID: c.ID, Name: c.Name, AuthMethod: c.AuthMethod, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, JWKSURI: c.JWKSURI, AssertionAudience: c.AssertionAudience,
		DefaultAudience: c.DefaultAudience, IntrospectAny: c.IntrospectAny, DPoPBoundAccessTokens: c.DPoPBoundAccessTokens, Source: source}
}

func clientsCreateCmd() *cobra.Command {
	var id, name, method, jwksURI, assertionAudience, defaultAudience string
	var grants, scopes []string
	var introspectAny, dpopBound bool
	cmd := stateCmd(&cobra.Command{
		Use:   "create",
		Short: "Register a client; a generated secret is printed once",
		Args:  cobra.NoArgs,
	}, func(r *run, _ []string) error {
		cl := config.Client{ClientID: id, Name: name, TokenEndpointAuthMethod: method,
			GrantTypes: grants, Scopes: scopes, JWKSURI: jwksURI, AssertionAudience: assertionAudience,
			DefaultAudience: defaultAudience, DPoPBoundAccessTokens: dpopBound}
		if introspectAny {
			cl.Introspect = "any"
		}
		var secret string
		if method != store.AuthPrivateKey {
			secret, _ = authserver.NewSecret()
			cl.ClientSecret = secret
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
		v := view(sc, "store")
		v.ClientSecret = secret
		return r.print(v, func(w io.Writer) {
			fmt.Fprintf(w, "created client %s (%s)\n", v.ClientID, v.AuthMethod)
			if secret != "" {
				fmt.Fprintf(w, "client secret: %s\nIt is shown only now: store it safely.\n", secret)
			}
		})
	})
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "client_id (required)")
	f.StringVar(&name, "name", "", "human-readable client name")
	f.StringVar(&method, "auth-method", store.AuthSecretBasic, "client_secret_basic, client_secret_post or private_key_jwt")
	f.StringVar(&jwksURI, "jwks-uri", "", "where the client publishes its keys (private_key_jwt)")
	f.StringVar(&assertionAudience, "assertion-audience", "", "issuer (the default), or token_endpoint to also accept the token endpoint URL as the aud of the client's assertions (private_key_jwt)")
	f.StringVar(&defaultAudience, "default-audience", "", "single or all: whether a token requested without resource may be for several APIs (default: the file's default_audience)")
	f.BoolVar(&introspectAny, "introspect-any", false, "let the client introspect every token, as a gateway in front of several APIs must")
	f.BoolVar(&dpopBound, "dpop-bound-access-tokens", false, "require a DPoP proof (RFC 9449) in every token request of the client, so its access tokens are all bound to its key")
	f.StringSliceVar(&grants, "grant-types", []string{"client_credentials"}, "grant types")
	f.StringSliceVar(&scopes, "scopes", nil, "scopes the client may be granted")
	cmd.MarkFlagRequired("id")
	return cmd
}

func clientsListCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "list",
		Short: "List clients, from the configuration file and the store",
		Args:  cobra.NoArgs,
	}, func(r *run, _ []string) error {
		stored, err := r.st.ListClients(r.ctx)
		if err != nil {
			return err
		}
		views := []clientView{}
		for _, c := range r.cfg.AuthServer().Clients {
			views = append(views, view(c, "config"))
		}
		for _, c := range stored {
			views = append(views, view(c, "store"))
		}
		slices.SortFunc(views, func(a, b clientView) int { return strings.Compare(a.ClientID, b.ClientID) })
		return r.print(views, table("CLIENT ID\tSOURCE\tAUTH METHOD\tGRANT TYPES\tSCOPES", func(w io.Writer) {
			for _, v := range views {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.ClientID, v.Source, v.AuthMethod,
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
		if err := r.st.DeleteClient(r.ctx, c, time.Now()); errors.Is(err, store.ErrNotFound) {
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
