package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/usage"
)

func anomaliesCmd() *cobra.Command {
	var f usage.DetectionFilter
	cmd := stateCmd(&cobra.Command{
		Use:         "anomalies",
		Annotations: readOnly(),
		Short:       "List the anomalies detected, newest first, from the audit trail",
		Args:        cobra.NoArgs,
	}, func(r *run, _ []string) error {
		ds, err := usage.ListDetections(r.ctx, r.st, f)
		if err != nil {
			return err
		}
		return r.print(ds, table("TIME\tRULE\tCLIENT\tSUBJECT\tADDRESS\tRESPONSE\tEVIDENCE", func(w io.Writer) {
			for _, d := range ds {
				ev, _ := json.Marshal(d.Evidence)
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Time.UTC().Format(time.RFC3339), d.Rule,
					d.ClientID, d.Subject, d.Address, d.Response, ev)
			}
		}))
	})
	fl := cmd.Flags()
	cmd.PreRunE = sinceFlag(fl, &f.Since, "detections")
	fl.StringVar(&f.ClientID, "client", "", "only detections about this client_id")
	fl.IntVar(&f.Limit, "limit", 1000, "most detections to list")
	return cmd
}
