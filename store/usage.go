package store

import "time"

// UsageCount is how often one thing happened in one hour: for a client,
// an API (an audience) and, for calls through the gateway, a route.
// Metric names what was counted and Detail which kind of it, for example
// "tokens_issued" and the grant type, or "api_calls" and the outcome;
// package usage defines them. The store adds and sums counts without
// reading them.
type UsageCount struct {
	// Hour is the start of the hour, UTC; in an answer of ListUsage it is
	// the start of the period the row sums.
	Hour     time.Time
	ClientID string
	API      string
	Route    string
	Metric   string
	Detail   string
	Count    int64
}

// UsageFilter selects and groups usage counts. Zero fields select
// everything.
type UsageFilter struct {
	ClientID string
	API      string
	Route    string
	// Since and Until bound the hours: Since <= Hour < Until.
	Since, Until time.Time
	// Period is the length of the periods counts are summed over, a whole
	// number of hours; periods start at multiples of it since the Unix
	// epoch, so a day is a UTC day. Zero means an hour.
	Period time.Duration
	// Limit bounds the rows of the answer; zero means 10000.
	Limit int
}

// UsageBatchTTL is how long the store remembers that a batch of usage
// counts was added, so that a retry of it within that time adds nothing.
const UsageBatchTTL = 24 * time.Hour

// DefaultUsageLimit is UsageFilter.Limit's zero value.
const DefaultUsageLimit = 10000

// UsagePeriod is f.Period in whole seconds, an hour when unset.
func (f UsageFilter) UsagePeriod() int64 {
	if p := int64(f.Period / time.Hour); p > 0 {
		return p * 3600
	}
	return 3600
}

// UsageLimit is f.Limit with its default.
func (f UsageFilter) UsageLimit() int {
	if f.Limit > 0 {
		return f.Limit
	}
	return DefaultUsageLimit
}
