package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// Default look-backs of portcullis usage without --since.
const (
	usageSinceHours = 24 * time.Hour
	usageSinceDays  = 30 * 24 * time.Hour
)

func usageCmd() *cobra.Command {
	var since, until string
	var f usage.Filter
	cmd := stateCmd(&cobra.Command{
		Use:         "usage",
		Annotations: readOnly(),
		Short:       "Show usage records: tokens, introspections and API calls per client, API and route",
		Long: "Show the usage records the servers flushed to the store: per period (--by hour or day, UTC),\n" +
			"client, API and gateway route, the access tokens issued, the introspections answered,\n" +
			"the API calls let through and refused, and the requests rate limits refused. Without\n" +
			"--since, the last 24 hours (by hour) or 30 days (by day). Records reach the store every\n" +
			"minute and when a server stops.",
		Args: cobra.NoArgs,
		// Flags are checked before the configuration and the store are
		// touched.
		PreRunE: func(*cobra.Command, []string) error {
			now := time.Now()
			switch f.By {
			case usage.ByHour:
				f.Since = now.Add(-usageSinceHours)
			case usage.ByDay:
				f.Since = now.Add(-usageSinceDays)
			default:
				return fmt.Errorf("--by %q: want hour or day", f.By)
			}
			var err error
			if since != "" {
				if f.Since, err = parseSince(since, now); err != nil {
					return err
				}
			}
			if until != "" {
				if f.Until, err = parseSince(until, now); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			return nil
		},
	}, func(r *run, _ []string) error {
		rep, err := usage.Query(r.ctx, r.st, f)
		if err != nil {
			return err
		}
		return r.print(rep, func(w io.Writer) {
			table("PERIOD\tCLIENT\tAPI\tROUTE\tTOKENS\tINTROSPECTIONS\tALLOWED\tREFUSED\tRATE-LIMITED\tREFUSALS", func(w io.Writer) {
				for _, row := range rep.Rows {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", period(row.Period, rep.By), orDash(row.ClientID), orDash(row.API), orDash(row.Route),
						usage.Sum(row.TokensIssued), usage.Sum(row.Introspections), row.Allowed(), row.Refused(), usage.Sum(row.RateLimited), refusals(row.APICalls))
				}
			})(w)
			if rep.Truncated {
				fmt.Fprintln(w, "More records match than --limit; the last periods are missing or incomplete: narrow the filter or raise --limit.")
			}
		})
	})
	fl := cmd.Flags()
	fl.StringVar(&f.ClientID, "client", "", "only this client_id")
	fl.StringVar(&f.API, "api", "", "only this API (its identifier, the tokens' audience)")
	fl.StringVar(&f.Route, "route", "", "only this gateway route (its path as configured)")
	fl.StringVar(&since, "since", "", "from a time (RFC 3339) or a duration ago (e.g. 72h); default 24h, or 720h with --by day")
	fl.StringVar(&until, "until", "", "up to a time (RFC 3339) or a duration ago; default now")
	fl.StringVar(&f.By, "by", usage.ByHour, "period: hour or day (UTC)")
	fl.IntVar(&f.Limit, "limit", store.DefaultUsageLimit, "most stored counts to read")
	return cmd
}

// period writes a period's start: the hour, or the day.
func period(t time.Time, by string) string {
	if by == usage.ByDay {
		return t.UTC().Format(time.DateOnly)
	}
	return t.UTC().Format("2006-01-02T15:04Z")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// refusals lists the reasons calls were refused, with their counts.
func refusals(calls map[string]int64) string {
	var out []string
	for _, reason := range slices.Sorted(maps.Keys(calls)) {
		if reason != guard.OutcomeAllowed {
			out = append(out, fmt.Sprintf("%s:%d", reason, calls[reason]))
		}
	}
	return strings.Join(out, " ")
}
