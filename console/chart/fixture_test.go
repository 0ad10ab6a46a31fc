package chart

import (
	"time"

	"github.com/portcullis/portcullis/usage"
)

// now is the fixed time the tests' windows end at.
var now = time.Date(2025, 5, 2, 12, 34, 56, 0, time.UTC)

// hourlyReport is a fixed hourly report around now: two clients, calls
// refused before a token was read, the counter's overflow client, rows in
// the same hour to be summed, and rows outside the last 24 hours.
func hourlyReport() usage.Report {
	h := func(back int) time.Time { return now.Truncate(time.Hour).Add(-time.Duration(back) * time.Hour) }
	return usage.Report{By: usage.ByHour, Rows: []usage.Row{
		{Period: h(30), ClientID: "web", API: "https://api", APICalls: map[string]int64{"allowed": 1000}},
		{Period: h(23), ClientID: "web", API: "https://api", TokensIssued: map[string]int64{"authorization_code": 4},
			APICalls: map[string]int64{"allowed": 40, "expired": 2}},
		{Period: h(20), ClientID: "cli", API: "https://api", TokensIssued: map[string]int64{"client_credentials": 10},
			APICalls: map[string]int64{"allowed": 120}},
		{Period: h(20), ClientID: "web", API: "https://api", TokensIssued: map[string]int64{"refresh_token": 3},
			APICalls: map[string]int64{"allowed": 60, "insufficient_scope": 5}},
		{Period: h(6), ClientID: "", API: "https://api", APICalls: map[string]int64{"no_token": 17, "invalid_token": 9}},
		{Period: h(2), ClientID: usage.Overflow, API: "https://api", TokensIssued: map[string]int64{"client_credentials": 1},
			APICalls: map[string]int64{"allowed": 7}},
		{Period: h(0), ClientID: "cli", API: "https://api", Route: "orders", TokensIssued: map[string]int64{"client_credentials": 2},
			APICalls: map[string]int64{"allowed": 300, "expired": 1}, Introspections: map[string]int64{"active": 5}},
		{Period: h(-1), ClientID: "web", API: "https://api", APICalls: map[string]int64{"allowed": 1000}},
	}}
}

// dailyReport is a fixed daily report: a few days of the last 30, one
// before them.
func dailyReport() usage.Report {
	d := func(back int) time.Time { return now.Truncate(24*time.Hour).AddDate(0, 0, -back) }
	return usage.Report{By: usage.ByDay, Rows: []usage.Row{
		{Period: d(31), ClientID: "web", APICalls: map[string]int64{"allowed": 99999}},
		{Period: d(29), ClientID: "web", TokensIssued: map[string]int64{"authorization_code": 120},
			APICalls: map[string]int64{"allowed": 2400}},
		{Period: d(15), ClientID: "cli", TokensIssued: map[string]int64{"client_credentials": 800},
			APICalls: map[string]int64{"allowed": 15250, "revoked": 30}},
		{Period: d(14), ClientID: "web", TokensIssued: map[string]int64{"authorization_code": 95},
			APICalls: map[string]int64{"allowed": 3100}},
		{Period: d(0), ClientID: "cli", TokensIssued: map[string]int64{"client_credentials": 60},
			APICalls: map[string]int64{"allowed": 1200, "expired": 4}},
	}}
}
