package usage

import (
	"log/slog"
	"testing"
	"time"
)

// BenchmarkCounterObserve is one API call counted in an existing row: the
// Counter's share of a request's cost.
func BenchmarkCounterObserve(b *testing.B) {
	c := newCounter(nil, slog.New(slog.DiscardHandler), CounterOptions{})
	e := Event{Kind: APICall, Time: t0, ClientID: "reporting-service", Subject: "reporting-service", Audience: "https://api.example.com",
		Route: "/users", TokenID: "Yx2kq9R3bXw7mN0pQ1sT4u", Address: "192.0.2.1", UserAgent: "Go-http-client/1.1", Outcome: "allowed"}
	b.ReportAllocs()
	for b.Loop() {
		c.Observe(e)
	}
}

// BenchmarkCounterObserveParallel is BenchmarkCounterObserve from every
// processor at once, on rows of a few clients.
func BenchmarkCounterObserveParallel(b *testing.B) {
	c := newCounter(nil, slog.New(slog.DiscardHandler), CounterOptions{})
	clients := []string{"a", "b", "c", "d"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			c.Observe(Event{Kind: APICall, Time: t0.Add(time.Duration(i%2) * time.Hour), ClientID: clients[i%len(clients)], Route: "/users", Outcome: "allowed"})
		}
	})
}
