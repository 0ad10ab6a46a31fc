package usage

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// TestTwoInstancesPostgres runs two Counters, as two instances do, on
// their own handles of one PostgreSQL database: they count the same
// clients in the same hour, flush at the same time, several times, and
// the rows hold the sum.
func TestTwoInstancesPostgres(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	var counters [2]*Counter
	var stores [2]*postgres.Store
	for i := range counters {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
		counters[i] = start(t, st, CounterOptions{Interval: time.Hour}, fastRetry)
	}
	const rounds, clients = 5, 700 // more rows than one batch
	for range rounds {
		var wg sync.WaitGroup
		for i, c := range counters {
			wg.Go(func() {
				for n := range clients {
					c.Observe(Event{Kind: APICall, Time: t0, ClientID: fmt.Sprintf("c%03d", n), Audience: "https://api", Route: "/users", Outcome: "allowed"})
				}
				c.Observe(Event{Kind: TokenIssued, Time: t0, ClientID: "svc", Audience: "https://api", GrantType: "client_credentials"})
				if err := c.Flush(context.Background()); err != nil {
					t.Errorf("instance %d: %v", i, err)
				}
			})
		}
		wg.Wait()
	}
	rows := query(t, stores[0], Filter{Limit: 2 * clients})
	if len(rows) != clients+1 {
		t.Fatalf("%d rows, want %d", len(rows), clients+1)
	}
	for _, r := range rows {
		if r.ClientID == "svc" {
			if r.TokensIssued["client_credentials"] != 2*rounds {
				t.Fatalf("tokens of svc: %v, want %d", r.TokensIssued, 2*rounds)
			}
		} else if r.Allowed() != 2*rounds {
			t.Fatalf("calls of %s: %d, want %d", r.ClientID, r.Allowed(), 2*rounds)
		}
	}
}
