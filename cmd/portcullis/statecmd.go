package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store"
)

// run is one invocation of a command that acts on the store.
type run struct {
	ctx  context.Context
	cfg  *config.Config
	st   store.Store
	in   io.Reader
	out  io.Writer
	json bool
}

// stateCmd completes c as a command that acts on the store named by
// --config, closes it afterwards, and prints JSON with --json.
func stateCmd(c *cobra.Command, do func(r *run, args []string) error) *cobra.Command {
	var path string
	var asJSON bool
	c.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, st, err := openState(cmd.Context(), path, cmd.Annotations[readOnlyKey] != "")
		if err != nil {
			return err
		}
		defer st.Close()
		return do(&run{ctx: cmd.Context(), cfg: cfg, st: st, in: cmd.InOrStdin(), out: cmd.OutOrStdout(), json: asJSON}, args)
	}
	configFlag(c, &path)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// readOnlyKey is the annotation readOnly sets.
const readOnlyKey = "portcullis/read-only"

// readOnly is the Annotations of a command made by stateCmd that only
// reads the store, so that it needs only the ${VAR}s of storeKeys set (see
// openState): an operator can look at the store without the secrets that
// only the serving parts use.
func readOnly() map[string]string { return map[string]string{readOnlyKey: "true"} }

// print writes v as JSON with --json, or as text for people.
func (r *run) print(v any, text func(w io.Writer)) error {
	if r.json {
		return printJSON(r.out, v)
	}
	text(r.out)
	return nil
}

// table writes aligned columns under a header, for print.
func table(header string, rows func(w io.Writer)) func(io.Writer) {
	return func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, header)
		rows(tw)
		tw.Flush()
	}
}
