//go:build unix

package authserver_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/usage"
)

// BenchmarkTokenRateLimit is BenchmarkTokenClientCredentials (SQLite)
// with the client's rate limit off, decided in memory, and decided in
// Redis (with PORTCULLIS_TEST_REDIS), under a limit no request reaches.
// Compare each to "off", and to BenchmarkBaselineES256Sign. cpu-ns/op is
// the process's CPU time per token (user and system, the garbage
// collector's included), steadier than ns/op on a shared machine; Redis's
// own CPU is not in it.
func BenchmarkTokenRateLimit(b *testing.B) {
	never := usage.Limit{Rate: usage.MaxRate, Period: time.Second, Burst: usage.MaxBurst}
	run := func(b *testing.B, limiter func(b *testing.B) usage.Limiter, l usage.Limit) {
		var id, secret string
		as := authservertest.New(b, func(c *authserver.Config) {
			if limiter != nil {
				c.Limiter = limiter(b)
			}
			id, secret = limitedClient(c, l)
		})
		auth := basic(id, secret)
		body := "grant_type=client_credentials&scope=list:users+read:users"
		b.ReportAllocs()
		start := cpuTime(b)
		for b.Loop() {
			serveForm(b, as.Handler, "/token", body, auth)
		}
		b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
	}
	b.Run("off", func(b *testing.B) { run(b, nil, usage.Limit{}) })
	b.Run("memory", func(b *testing.B) { run(b, nil, never) })
	b.Run("redis", func(b *testing.B) {
		redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
		if redisURL == "" {
			b.Skip("PORTCULLIS_TEST_REDIS is not set")
		}
		run(b, func(b *testing.B) usage.Limiter { return openRedis(b, redisURL).Limiter() }, never)
	})
}

// cpuTime is the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
