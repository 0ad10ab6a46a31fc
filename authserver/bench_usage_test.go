package authserver_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/usage"
)

// BenchmarkTokenUsage is BenchmarkTokenClientCredentials on SQLite without
// usage counting and with it (a usage.Counter, as serve wires it; its
// flushes run in the background and not within the run), measured in
// the same run: compare on to off, and both to BenchmarkBaselineES256Sign.
func BenchmarkTokenUsage(b *testing.B) {
	b.Run("off", func(b *testing.B) { benchmarkToken(b, authservertest.New(b)) })
	b.Run("on", func(b *testing.B) {
		w := &lateWriter{}
		c := usage.NewCounter(w, slog.New(slog.DiscardHandler), usage.CounterOptions{Interval: time.Hour})
		as := authservertest.New(b, func(cfg *authserver.Config) { cfg.Usage = c })
		w.Writer = as.Store
		b.Cleanup(c.Close)
		benchmarkToken(b, as)
	})
}

// lateWriter writes to the store of a server built after the Counter.
type lateWriter struct{ usage.Writer }

func benchmarkToken(b *testing.B, as *authservertest.Server) {
	auth := basic(as.ClientID, as.ClientSecret)
	body := "grant_type=client_credentials&scope=list:users+read:users"
	b.ReportAllocs()
	for b.Loop() {
		serveForm(b, as.Handler, "/token", body, auth)
	}
}
