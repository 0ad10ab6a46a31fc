package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portcullis/portcullis/internal/faultproxy"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// faultBudget bounds each wait of the fault tests. It is not a timing
// assertion: the bounds under test are a few seconds, and the budget only
// turns "never" (as before lock_timeout and its kin) into a failure.
const faultBudget = 20 * time.Second

// faultDSN is a fresh schema's DSN with short bounds, so that a stall ends
// within seconds.
func faultDSN(t *testing.T) string {
	dsn := pgtest.FreshSchema(t)
	for k, v := range map[string]string{
		"lock_timeout": "300ms", "statement_timeout": "2s",
		"idle_in_transaction_session_timeout": "2s",
	} {
		dsn = pgtest.WithParam(dsn, k, v)
	}
	return dsn
}

// viaProxy starts a fault proxy to the database of dsn and returns it with
// dsn pointed at it.
func viaProxy(t *testing.T, dsn string) (*faultproxy.Proxy, string) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.New(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	host, port, _ := net.SplitHostPort(p.Addr())
	return p, pgtest.WithParam(pgtest.WithParam(dsn, "host", host), "port", port)
}

func openDSN(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// within waits for done at most faultBudget.
func within[T any](t *testing.T, what string, done <-chan T) T {
	t.Helper()
	select {
	case v := <-done:
		return v
	case <-time.After(faultBudget):
		t.Fatalf("%s did not finish within %s", what, faultBudget)
		panic("unreachable")
	}
}

// TestFaultStalledDatabase stalls one instance's database traffic while
// its revocation holds the revocation writers' lock, uncommitted, and
// shows that another instance keeps exchanging codes and rotating refresh
// tokens throughout, completes revocations once the server has ended the
// stalled transaction, and that after the stall every guarantee holds:
// the revocation cursor lists each acknowledged revocation exactly once and
// no code is exchanged twice.
func TestFaultStalledDatabase(t *testing.T) {
	ctx := t.Context()
	dsn := faultDSN(t)
	healthy := openDSN(t, dsn)
	proxy, proxied := viaProxy(t, dsn)
	stalled := openDSN(t, proxied)

	const rounds = 5
	now := time.Now()
	exp := now.Add(time.Hour)
	grant := store.Grant{ID: "g", UserID: "u", ClientID: "c", ExpiresAt: exp}
	if err := healthy.CreateGrant(ctx, grant); err != nil {
		t.Fatal(err)
	}
	code := func(i int) string { return fmt.Sprintf("code-%d", i) }
	refresh := func(i int) store.RefreshToken {
		return store.RefreshToken{Hash: fmt.Sprintf("rt-%d", i), GrantID: "g", ClientID: "c", UserID: "u", ExpiresAt: exp, FamilyExpiresAt: exp}
	}
	for i := range rounds + 2 {
		if err := healthy.CreateAuthCode(ctx, store.AuthCode{Hash: code(i), GrantID: "g", ClientID: "c", UserID: "u", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := healthy.IssueTokens(ctx, "g", "at-0", exp, new(refresh(0))); err != nil {
		t.Fatal(err)
	}

	// The stalled instance revokes a token; its commit is caught in the
	// proxy, so on the server its transaction holds the lock, idle.
	proxy.StallOn([]byte("commit"))
	stalledDone := make(chan error, 1)
	go func() {
		stalledDone <- stalled.RevokeToken(ctx, store.Revocation{JTI: "stalled", ExpiresAt: exp, RevokedAt: now})
	}()
	for !proxy.Stalled() {
		select {
		case err := <-stalledDone:
			t.Fatalf("the revocation through the proxy finished (%v) before it stalled", err)
		case <-time.After(5 * time.Millisecond):
		}
	}

	// Meanwhile the healthy instance serves. Exchanges and rotations take
	// no lock the stalled one holds and must succeed at once; revocations
	// may be refused with lock_timeout (55P03, a lock-timeout WriteFault) until the server ends the
	// stalled transaction, and must then succeed.
	acked := map[string]bool{}
	served := make(chan error, 1)
	go func() {
		served <- func() error {
			for i := range rounds {
				jti := fmt.Sprintf("healthy-%d", i)
				for {
					err := healthy.RevokeToken(ctx, store.Revocation{JTI: jti, ExpiresAt: exp, RevokedAt: now})
					if err == nil {
						break
					}
					if f, ok := errors.AsType[*store.WriteFault](err); !ok || f.Cause != store.CauseLockTimeout {
						return fmt.Errorf("revocation %s: %w", jti, err)
					}
				}
				acked[jti] = true
				if err := healthy.ExchangeAuthCode(ctx, code(i), now, fmt.Sprintf("at-code-%d", i), exp, nil); err != nil {
					return fmt.Errorf("exchange %s: %w", code(i), err)
				}
				if err := healthy.RotateRefreshToken(ctx, refresh(i).Hash, now, []byte("next"), refresh(i+1), fmt.Sprintf("at-rt-%d", i), exp); err != nil {
					return fmt.Errorf("rotate %s: %w", refresh(i).Hash, err)
				}
			}
			return nil
		}()
	}()
	if err := within(t, "the healthy instance's work during the stall", served); err != nil {
		t.Fatal(err)
	}
	if !proxy.Stalled() {
		t.Fatal("the proxy let traffic through during the test")
	}
	// The stalled call gives up by itself, on its statement deadline.
	stalledErr := within(t, "the stalled revocation", stalledDone)
	if stalledErr == nil {
		acked["stalled"] = true
	}

	proxy.Resume()
	if err := stalled.RevokeToken(ctx, store.Revocation{JTI: "after", ExpiresAt: exp, RevokedAt: now}); err != nil {
		t.Fatalf("revocation through the proxy after the stall: %v", err)
	}
	acked["after"] = true

	// No code is exchanged twice: the healthy instance's codes are spent
	// for the one that stalled, and two instances racing for one code get
	// it once.
	for i := range rounds {
		if err := stalled.ExchangeAuthCode(ctx, code(i), now, fmt.Sprintf("at-again-%d", i), exp, nil); !errors.Is(err, store.ErrReplay) {
			t.Fatalf("second exchange of %s: got %v, want ErrReplay", code(i), err)
		}
	}
	var wg sync.WaitGroup
	results := make([]error, 2)
	for j, s := range []*Store{healthy, stalled} {
		wg.Go(func() {
			results[j] = s.ExchangeAuthCode(ctx, code(rounds), now, fmt.Sprintf("at-race-%d", j), exp, nil)
		})
	}
	wg.Wait()
	if (results[0] == nil) == (results[1] == nil) {
		t.Fatalf("two instances exchanging one code got %v and %v; want one success and one ErrReplay", results[0], results[1])
	}

	// The cursor lists every acknowledged revocation exactly once.
	seen := map[string]int{}
	var cursor int64
	for {
		page, err := stalled.ListRevocations(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			seen[r.JTI]++
			cursor = r.Seq
		}
	}
	for jti, n := range seen {
		if n != 1 || !acked[jti] && jti != "stalled" {
			t.Errorf("the cursor listed %s %d times (acknowledged: %v)", jti, n, acked[jti])
		}
	}
	for jti := range acked {
		if seen[jti] != 1 {
			t.Errorf("the cursor listed acknowledged revocation %s %d times; want once", jti, seen[jti])
		}
	}
}

// TestFaultStalledDatabaseAtStart opens a store through a proxy that
// accepts connections and never answers, as a database host that froze
// does: Open must fail after connect_timeout, saying so, instead of hanging.
// The DSN sets no connect_timeout, so the default bounds the wait.
func TestFaultStalledDatabaseAtStart(t *testing.T) {
	proxy, proxied := viaProxy(t, pgtest.DSN(t))
	proxy.Stall()
	done := make(chan error, 1)
	go func() {
		s, err := Open(context.Background(), proxied)
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	err := within(t, "Open against a stalled database", done)
	if err == nil || !strings.Contains(err.Error(), "connect_timeout") {
		t.Fatalf("Open against a stalled database: got %v, want an error naming connect_timeout", err)
	}
}
