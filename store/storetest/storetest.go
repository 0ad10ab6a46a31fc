// Package storetest is the conformance suite for store.Store: every backend
// runs it, so that the guarantees the authorization server relies on (single
// use under concurrency, atomic key updates, revocation cursors) hold the same
// on each.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// Run runs the suite. newStore returns an empty store for one subtest; the
// caller arranges its cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Clients", testClients},
		{"KeysUpdate", testKeysUpdate},
		{"KeysUpdateConcurrent", testKeysUpdateConcurrent},
		{"Revocations", testRevocations},
		{"RevocationVersion", testRevocationVersion},
		{"RevocationVersionConcurrent", testRevocationVersionConcurrent},
		{"UseOnceConcurrent", testUseOnceConcurrent},
		{"UseOnceAfterExpiry", testUseOnceAfterExpiry},
		{"Users", testUsers},
		{"UserRename", testUserRename},
		{"UserRenameConcurrent", testUserRenameConcurrent},
		{"AuthRequests", testAuthRequests},
		{"SessionsAndConsent", testSessionsAndConsent},
		{"ListAndEndSessions", testListAndEndSessions},
		{"AuthCodes", testAuthCodes},
		{"RefreshRotation", testRefreshRotation},
		{"RefreshRetry", testRefreshRetry},
		{"RefreshRetryRace", testRefreshRetryRace},
		{"DeleteExpiredSignin", testDeleteExpiredSignin},
		{"RevokeRacesIssue", testRevokeRacesIssue},
		{"Audit", testAudit},
		{"AuditRetention", testAuditRetention},
		{"AuditIdempotent", testAuditIdempotent},
		{"AuditLargeBatch", testAuditLargeBatch},
		{"SecretConcurrent", testSecretConcurrent},
		{"RevokeAll", testRevokeAll},
		{"Cutoffs", testCutoffs},
		{"CutoffsConcurrent", testCutoffsConcurrent},
		{"DeleteClientRevokes", testDeleteClientRevokes},
		{"CutoffCoversLaterGrant", testCutoffCoversLaterGrant},
		{"RevokeSessionGrants", testRevokeSessionGrants},
		{"ProbeConcurrent", testProbeConcurrent},
		{"DPoPBindings", testDPoPBindings},
		{"Suspensions", testSuspensions},
		{"Usage", testUsage},
		{"UsageConcurrent", testUsageConcurrent},
		{"UsageRetention", testUsageRetention},
		{"UpdateClient", testUpdateClient},
		{"UpdateClientConcurrent", testUpdateClientConcurrent},
		{"APIs", testAPIs},
		{"UpdateAPIConcurrent", testUpdateAPIConcurrent},
		{"SearchUsers", testSearchUsers},
		{"SearchUsersPages", testSearchUsersPages},
		{"GetGrant", testGetGrant},
		{"ListGrants", testListGrants},
		{"ListGrantsLimits", testListGrantsLimits},
		{"AuditPages", testAuditPages},
		{"DeleteCheck", testDeleteCheck},
		{"DeleteCheckConcurrent", testDeleteCheckConcurrent},
		{"Factors", testFactors},
		{"RecoveryCodes", testRecoveryCodes},
		{"UpdateFactorConcurrent", testUpdateFactorConcurrent},
		{"DeleteFactorConcurrent", testDeleteFactorConcurrent},
		{"DeleteLastFactorCodes", testDeleteLastFactorCodes},
		{"UpdateSession", testUpdateSession},
		{"Links", testLinks},
		{"CreateLinkConcurrent", testCreateLinkConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

func testClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := store.Client{
		ID: "svc", AuthMethod: store.AuthSecretBasic, SecretHash: []byte{1, 2, 3},
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"a", "b"},
		DefaultAudience: store.AudienceAll, IntrospectAny: true,
		CreatedAt: time.Unix(1700000000, 0).UTC(),
	}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	if err := s.CreateClient(ctx, c); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("CreateClient twice: got %v, want ErrAlreadyExists", err)
	}
	got, err := s.GetClient(ctx, "svc")
	if err != nil {
		t.Fatalf("GetClient: %v", err)
	}
	if got.ID != c.ID || string(got.SecretHash) != string(c.SecretHash) || len(got.Scopes) != 2 || !got.CreatedAt.Equal(c.CreatedAt) ||
		got.DefaultAudience != store.AudienceAll || !got.IntrospectAny {
		t.Fatalf("GetClient = %+v, want %+v", got, c)
	}
	if _, err := s.GetClient(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetClient unknown: got %v, want ErrNotFound", err)
	}
	all, err := s.ListClients(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("ListClients = %v, %v; want one client", all, err)
	}
	cut := store.NewCutoff("svc", "", time.Now(), time.Hour)
	if err := s.DeleteClient(ctx, cut, time.Now(), nil); err != nil {
		t.Fatalf("DeleteClient: %v", err)
	}
	if err := s.DeleteClient(ctx, cut, time.Now(), nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteClient twice: got %v, want ErrNotFound", err)
	}
}

func testKeysUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	k1 := store.Key{ID: "k1", Alg: "ES256", Private: []byte("p1"), CreatedAt: now, ActivatesAt: now}
	k2 := store.Key{ID: "k2", Alg: "ES256", Private: []byte("p2"), CreatedAt: now, ActivatesAt: now.Add(time.Hour)}
	if err := s.UpdateKeys(ctx, func(cur []store.Key) ([]store.Key, error) { return append(cur, k2, k1), nil }); err != nil {
		t.Fatalf("UpdateKeys: %v", err)
	}
	keys, err := s.ListKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != "k1" || keys[1].ID != "k2" || string(keys[1].Private) != "p2" {
		t.Fatalf("ListKeys = %+v, %v; want k1, k2 in activation order", keys, err)
	}
	boom := errors.New("boom")
	if err := s.UpdateKeys(ctx, func([]store.Key) ([]store.Key, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("UpdateKeys with failing updater: got %v, want boom", err)
	}
	if keys, _ := s.ListKeys(ctx); len(keys) != 2 {
		t.Fatalf("a failed update changed the keys: %+v", keys)
	}
	if err := s.UpdateKeys(ctx, func(cur []store.Key) ([]store.Key, error) { return cur[1:], nil }); err != nil {
		t.Fatalf("UpdateKeys remove: %v", err)
	}
	if keys, _ := s.ListKeys(ctx); len(keys) != 1 || keys[0].ID != "k2" {
		t.Fatalf("after removing k1: %+v", keys)
	}
}

// testKeysUpdateConcurrent is the first start of many instances at once: each
// adds a key only if none exists, and exactly one key must result.
func testKeysUpdateConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UpdateKeys(ctx, func(cur []store.Key) ([]store.Key, error) {
				if len(cur) > 0 {
					return cur, nil
				}
				now := time.Now()
				return []store.Key{{ID: fmt.Sprint("k", i), Alg: "ES256", Private: []byte("p"), CreatedAt: now, ActivatesAt: now}}, nil
			})
			if err != nil {
				t.Errorf("UpdateKeys: %v", err)
			}
		}()
	}
	wg.Wait()
	if keys, _ := s.ListKeys(ctx); len(keys) != 1 {
		t.Fatalf("concurrent first starts left %d keys, want 1", len(keys))
	}
}

func testRevocations(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	if ok, err := s.IsRevoked(ctx, "a"); err != nil || ok {
		t.Fatalf("IsRevoked before revoke = %v, %v", ok, err)
	}
	for _, jti := range []string{"a", "b", "a", "old"} {
		exp := now.Add(time.Hour)
		if jti == "old" {
			exp = now.Add(-time.Minute)
		}
		if err := s.RevokeToken(ctx, store.Revocation{JTI: jti, ExpiresAt: exp, RevokedAt: now}); err != nil {
			t.Fatalf("RevokeToken(%s): %v", jti, err)
		}
	}
	if ok, err := s.IsRevoked(ctx, "a"); err != nil || !ok {
		t.Fatalf("IsRevoked after revoke = %v, %v", ok, err)
	}
	all, err := s.ListRevocations(ctx, 0, 100)
	if err != nil || len(all) != 3 {
		t.Fatalf("ListRevocations = %+v, %v; want a, b, old", all, err)
	}
	if all[0].JTI != "a" || all[1].JTI != "b" || !(all[0].Seq < all[1].Seq) || !all[0].ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("ListRevocations order or fields wrong: %+v", all)
	}
	rest, err := s.ListRevocations(ctx, all[0].Seq, 100)
	if err != nil || len(rest) != 2 || rest[0].JTI != "b" {
		t.Fatalf("ListRevocations after cursor = %+v, %v", rest, err)
	}
	if page, _ := s.ListRevocations(ctx, 0, 1); len(page) != 1 {
		t.Fatalf("limit not honoured: %+v", page)
	}
	if err := s.DeleteExpired(ctx, now); err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	if ok, _ := s.IsRevoked(ctx, "old"); ok {
		t.Fatal("expired revocation survived DeleteExpired")
	}
	if ok, _ := s.IsRevoked(ctx, "b"); !ok {
		t.Fatal("live revocation removed by DeleteExpired")
	}
}

func testUseOnceConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wins, replays atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.UseOnce(ctx, "jti-1", time.Now().Add(time.Minute)); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrReplay):
				replays.Add(1)
			default:
				t.Errorf("UseOnce: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || replays.Load() != 49 {
		t.Fatalf("50 concurrent UseOnce: %d wins, %d replays; want 1 and 49", wins.Load(), replays.Load())
	}
}

func testUseOnceAfterExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.UseOnce(ctx, "k", time.Now().Add(-2*time.Second)); err != nil {
		t.Fatalf("UseOnce: %v", err)
	}
	if err := s.UseOnce(ctx, "k", time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("UseOnce after the mark expired: got %v, want success", err)
	}
	if err := s.UseOnce(ctx, "k", time.Now().Add(time.Minute)); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("UseOnce on a live mark: got %v, want ErrReplay", err)
	}
}
