package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

func apisCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apis", Short: "Manage APIs (resource servers) and their scopes in the store"}
	cmd.AddCommand(apisCreateCmd(), apisListCmd(), apisGetCmd(), apisUpdateCmd(), apisDeleteCmd())
	return cmd
}

// apiFlags are the flags of an API's metadata, shared by apis create and
// apis update; only those given change an API.
type apiFlags struct {
	fs        *pflag.FlagSet
	name      string
	scopes    []string
	ttl       time.Duration
	introspec []string
}

func addAPIFlags(fs *pflag.FlagSet) *apiFlags {
	f := &apiFlags{fs: fs}
	fs.StringVar(&f.name, "name", "", "the API's name, which the consent page shows")
	fs.StringArrayVar(&f.scopes, "scope", nil, `a scope the API defines, as NAME or NAME=DESCRIPTION (e.g. --scope 'read:orders=Read your orders'); repeat it for each scope`)
	fs.DurationVar(&f.ttl, "access-token-ttl", 0, "lifetime of access tokens for the API, at most the file's access_token_ttl (0: that)")
	fs.StringSliceVar(&f.introspec, "introspection-clients", nil, "client IDs (the API's resource servers) that may introspect its tokens")
	return f
}

// apply sets the fields of a whose flags were given.
func (f *apiFlags) apply(a *registry.API) {
	if f.fs.Changed("name") {
		a.Name = f.name
	}
	if f.fs.Changed("scope") {
		a.Scopes = nil
		for _, s := range f.scopes {
			name, desc, _ := strings.Cut(s, "=")
			a.Scopes = append(a.Scopes, registry.Scope{Name: name, Description: desc})
		}
	}
	if f.fs.Changed("access-token-ttl") {
		a.AccessTokenTTL = registry.Duration(f.ttl)
	}
	if f.fs.Changed("introspection-clients") {
		a.IntrospectionClients = f.introspec
	}
}

// clientKind tells config.NewAPI whether id names a client and whether it
// is public.
func (r *run) clientKind(id string) (public, ok bool) {
	for _, c := range r.cfg.AuthServer().Clients {
		if c.ID == id {
			return c.AuthMethod == store.AuthNone, true
		}
	}
	c, err := r.st.GetClient(r.ctx, id)
	if err != nil {
		return false, false
	}
	return c.AuthMethod == store.AuthNone, true
}

// isFileAPI reports whether the configuration file defines identifier.
func (r *run) isFileAPI(identifier string) bool {
	return slices.ContainsFunc(r.cfg.APIs, func(a registry.API) bool { return a.Identifier == identifier })
}

func apisCreateCmd() *cobra.Command {
	var identifier string
	var f *apiFlags
	cmd := stateCmd(&cobra.Command{
		Use:   "create",
		Short: "Register an API; its scopes can be granted at once",
		Long: "Register an API (a resource server) with the scopes it defines, validated as the\n" +
			"configuration file's APIs are. Running servers take it up within seconds. Example:\n\n" +
			"  apis create --identifier https://orders.example.com --name Orders \\\n" +
			"    --scope 'read:orders=Read your orders' --scope 'write:orders=Place orders'",
		Args: cobra.NoArgs,
	}, func(r *run, _ []string) error {
		a := registry.API{Identifier: identifier}
		f.apply(&a)
		sa, err := r.cfg.NewAPI(a, r.clientKind)
		if err != nil {
			return fmt.Errorf("API not created:\n%w", err)
		}
		sa.CreatedAt = time.Now().UTC()
		if err := r.st.CreateAPI(r.ctx, sa); errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("API %q already exists", identifier)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{
			Detail: map[string]any{"change": "api created", "api": identifier}}); err != nil {
			return err
		}
		v := registry.APIFromStore(sa, registry.SourceStore)
		return r.print(v, func(w io.Writer) {
			fmt.Fprintf(w, "created API %s with scopes %s\n", v.Identifier, strings.Join(v.ScopeNames(), " "))
		})
	})
	cmd.Flags().StringVar(&identifier, "identifier", "", "the API's absolute URI, the audience of its tokens (required)")
	f = addAPIFlags(cmd.Flags())
	cmd.MarkFlagRequired("identifier")
	return cmd
}

// apis returns the file's APIs and the store's, by identifier.
func (r *run) apis() ([]registry.APIInfo, error) {
	stored, err := r.st.ListAPIs(r.ctx)
	if err != nil {
		return nil, err
	}
	out := []registry.APIInfo{}
	for _, a := range r.cfg.APIs {
		out = append(out, registry.APIInfo{API: a, Source: registry.SourceConfig})
	}
	for _, a := range stored {
		out = append(out, registry.APIFromStore(a, registry.SourceStore))
	}
	slices.SortFunc(out, func(a, b registry.APIInfo) int { return strings.Compare(a.Identifier, b.Identifier) })
	return out, nil
}

func apisListCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "list",
		Annotations: readOnly(),
		Short:       "List APIs, from the configuration file and the store",
		Args:        cobra.NoArgs,
	}, func(r *run, _ []string) error {
		all, err := r.apis()
		if err != nil {
			return err
		}
		return r.print(all, table("IDENTIFIER\tSOURCE\tNAME\tSCOPES", func(w io.Writer) {
			for _, a := range all {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Identifier, a.Source, a.Name, strings.Join(a.ScopeNames(), " "))
			}
		}))
	})
}

func apisGetCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:         "get IDENTIFIER",
		Annotations: readOnly(),
		Short:       "Show an API with its scopes' descriptions",
		Args:        cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		all, err := r.apis()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(a registry.APIInfo) bool { return a.Identifier == args[0] })
		if i < 0 {
			return fmt.Errorf("no API %q", args[0])
		}
		return r.print(all[i], func(w io.Writer) { printJSON(w, all[i]) })
	})
}

func apisUpdateCmd() *cobra.Command {
	var f *apiFlags
	cmd := stateCmd(&cobra.Command{
		Use:   "update IDENTIFIER",
		Short: "Change a stored API: only what the flags give (--scope replaces every scope)",
		Args:  cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		id := args[0]
		if r.isFileAPI(id) {
			return fmt.Errorf("API %q is defined in the configuration file; change it there", id)
		}
		var out store.API
		err := r.st.UpdateAPI(r.ctx, id, func(sa *store.API) error {
			a := registry.APIFromStore(*sa, registry.SourceStore).API
			f.apply(&a)
			next, err := r.cfg.NewAPI(a, r.clientKind)
			if err != nil {
				return fmt.Errorf("API not updated:\n%w", err)
			}
			next.CreatedAt, next.UpdatedAt = sa.CreatedAt, time.Now().UTC()
			*sa, out = next, next
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no API %q in the store", id)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{
			Detail: map[string]any{"change": "api updated", "api": id}}); err != nil {
			return err
		}
		v := registry.APIFromStore(out, registry.SourceStore)
		return r.print(v, func(w io.Writer) {
			fmt.Fprintf(w, "updated API %s with scopes %s\n", v.Identifier, strings.Join(v.ScopeNames(), " "))
		})
	})
	f = addAPIFlags(cmd.Flags())
	return cmd
}

func apisDeleteCmd() *cobra.Command {
	return stateCmd(&cobra.Command{
		Use:   "delete IDENTIFIER",
		Short: "Delete a stored API; clients keep its scope names, which grant nothing until an API defines them again",
		Args:  cobra.ExactArgs(1),
	}, func(r *run, args []string) error {
		id := args[0]
		if r.isFileAPI(id) {
			return fmt.Errorf("API %q is defined in the configuration file; remove it there", id)
		}
		if err := r.st.DeleteAPI(r.ctx, id, nil); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no API %q in the store", id)
		} else if err != nil {
			return err
		}
		if err := recordChange(r.ctx, r.st, audit.ConfigChanged, store.AuditEvent{
			Detail: map[string]any{"change": "api deleted", "api": id}}); err != nil {
			return err
		}
		return r.print(map[string]string{"deleted": id}, func(w io.Writer) { fmt.Fprintf(w, "deleted API %s\n", id) })
	})
}
