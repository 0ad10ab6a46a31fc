package chart

import (
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

func TestWindows(t *testing.T) {
	tests := []struct {
		name         string
		w            Window
		since, until time.Time
		by           string
	}{
		{"24 hours end with now's hour", Last24Hours(now),
			time.Date(2025, 5, 1, 13, 0, 0, 0, time.UTC), time.Date(2025, 5, 2, 13, 0, 0, 0, time.UTC), usage.ByHour},
		{"30 days end with today", Last30Days(now),
			time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 3, 0, 0, 0, 0, time.UTC), usage.ByDay},
		{"another zone is read in UTC", Last30Days(now.In(time.FixedZone("UTC+10", 10*3600))),
			time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 3, 0, 0, 0, 0, time.UTC), usage.ByDay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.w.Filter()
			if !f.Since.Equal(tt.since) || !f.Until.Equal(tt.until) || f.By != tt.by {
				t.Errorf("filter %+v, want since %v until %v by %s", f, tt.since, tt.until, tt.by)
			}
		})
	}
}

func TestActivity(t *testing.T) {
	tests := []struct {
		name          string
		act           Time
		tokens, calls map[int]int64 // nonzero periods
		periods       int
		first         time.Time
		step          time.Duration
	}{
		{"hourly: rows summed per hour, missing hours zero, rows outside left out",
			Last24Hours(now).Activity(hourlyReport()),
			map[int]int64{0: 4, 3: 13, 21: 1, 23: 2}, map[int]int64{0: 42, 3: 185, 17: 26, 21: 7, 23: 301},
			24, time.Date(2025, 5, 1, 13, 0, 0, 0, time.UTC), time.Hour},
		{"daily", Last30Days(now).Activity(dailyReport()),
			map[int]int64{0: 120, 14: 800, 15: 95, 29: 60}, map[int]int64{0: 2400, 14: 15280, 15: 3100, 29: 1204},
			30, time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), 24 * time.Hour},
		{"no rows: every period zero", Last24Hours(now).Activity(usage.Report{}),
			nil, nil, 24, time.Date(2025, 5, 1, 13, 0, 0, 0, time.UTC), time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.act.Start.Equal(tt.first) || tt.act.Step != tt.step || len(tt.act.Series) != 2 {
				t.Fatalf("start %v step %v series %d, want %v, %v, 2", tt.act.Start, tt.act.Step, len(tt.act.Series), tt.first, tt.step)
			}
			for i, want := range []map[int]int64{tt.tokens, tt.calls} {
				s := tt.act.Series[i]
				exp := make([]int64, tt.periods)
				for p, v := range want {
					exp[p] = v
				}
				if !slices.Equal(s.Values, exp) {
					t.Errorf("%s: %v, want %v", s.Name, s.Values, exp)
				}
			}
		})
	}
}

func TestRankings(t *testing.T) {
	day, month := Last24Hours(now), Last30Days(now)
	tests := []struct {
		name  string
		bars  Bars
		want  []Bar
		empty string
	}{
		{"clients by calls, all calls counted, unnamed clients labelled", day.TopClientsByCalls(hourlyReport(), 10),
			[]Bar{{"cli", 421}, {"web", 107}, {NoClient, 26}, {OtherClients, 7}}, ""},
		{"top 2", day.TopClientsByCalls(hourlyReport(), 2), []Bar{{"cli", 421}, {"web", 107}}, ""},
		{"clients by tokens, clients without tokens left out", day.TopClientsByTokens(hourlyReport(), 10),
			[]Bar{{"cli", 12}, {"web", 7}, {OtherClients, 1}}, ""},
		{"ties by label", month.TopClientsByTokens(usage.Report{Rows: []usage.Row{
			{Period: now, ClientID: "b", TokensIssued: map[string]int64{"x": 5}},
			{Period: now, ClientID: "a", TokensIssued: map[string]int64{"y": 5}},
		}}, 10), []Bar{{"a", 5}, {"b", 5}}, ""},
		{"refusals by reason, allowed left out", day.Refusals(hourlyReport()),
			[]Bar{{"no_token", 17}, {"invalid_token", 9}, {"insufficient_scope", 5}, {"expired", 3}}, ""},
		{"no refusals", day.Refusals(usage.Report{Rows: []usage.Row{{Period: now, APICalls: map[string]int64{"allowed": 9}}}}),
			nil, "No refused API calls in the last 24 hours"},
		{"no clients", month.TopClientsByCalls(usage.Report{}, 5), nil, "No API calls in the last 30 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Equal(tt.bars.Bars, tt.want) {
				t.Errorf("bars %v, want %v", tt.bars.Bars, tt.want)
			}
			if tt.empty != "" && tt.bars.Empty != tt.empty {
				t.Errorf("empty message %q, want %q", tt.bars.Empty, tt.empty)
			}
		})
	}
}
