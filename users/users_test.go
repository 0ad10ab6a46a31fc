package users

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store/sqlite"
)

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the expected parameters", h)
	}
	if h == HashPassword("correct horse") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name    string
		hash    string
		pw      string
		want    bool
		wantErr bool
	}{
		{"right password", h, "correct horse", true, false},
		{"wrong password", h, "correct horse ", false, false},
		{"empty password", h, "", false, false},
		{"bcrypt hash", "$2a$10$abcdefghijklmnopqrstuu", "x", false, true},
		{"truncated", h[:30], "x", false, true},
		{"bad salt", "$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA", "x", false, true},
		{"zero memory", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "x", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.hash, tt.pw)
			if ok != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("VerifyPassword = %v, %v; want %v, error %v", ok, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(1700000000, 0)
	th := NewThrottle()
	th.Now = func() time.Time { return now }
	for range 5 {
		if w := th.Wait("user:a", "ip:1"); w != 0 {
			t.Fatalf("waiting %v within the free attempts", w)
		}
		th.Fail("user:a", "ip:1")
	}
	if w := th.Wait("user:a"); w != 0 {
		t.Fatalf("waiting %v after exactly the free attempts", w)
	}
	th.Fail("user:a", "ip:1")
	if w := th.Wait("user:a"); w != time.Second {
		t.Fatalf("after 6 failures wait %v, want 1s", w)
	}
	th.Fail("user:a")
	if w := th.Wait("ip:2", "user:a"); w != 2*time.Second {
		t.Fatalf("after 7 failures wait %v, want 2s; the longest key decides", w)
	}
	for range 30 {
		th.Fail("user:a")
	}
	if w := th.Wait("user:a"); w != 15*time.Minute {
		t.Fatalf("wait %v, want the 15m cap", w)
	}
	th.Succeed("user:a")
	if w := th.Wait("user:a"); w != 0 {
		t.Fatalf("success did not clear: %v", w)
	}
	if w := th.Wait("ip:1"); w == 0 {
		t.Fatal("success for the account cleared the address too")
	}
	now = now.Add(16 * time.Minute)
	th.Fail("ip:1")
	if w := th.Wait("ip:1"); w != 0 {
		t.Fatalf("old failures still count after the window: %v", w)
	}
}

func TestSync(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := []Configured{{Username: "demo", Password: "pw1", Claims: map[string]any{"name": "Demo"}}}
	if err := Sync(ctx, s, cfg, time.Now()); err != nil {
		t.Fatal(err)
	}
	u1, err := s.GetUserByUsername(ctx, "demo")
	if err != nil || u1.ID == "demo" || len(u1.ID) < 20 {
		t.Fatalf("user = %+v, %v; want a random subject", u1, err)
	}
	cfg[0].Password, cfg[0].Claims = "pw2", map[string]any{"name": "Demo Two"}
	if err := Sync(ctx, s, cfg, time.Now()); err != nil {
		t.Fatal(err)
	}
	u2, _ := s.GetUserByUsername(ctx, "demo")
	if u2.ID != u1.ID {
		t.Fatal("the subject changed across starts")
	}
	if ok, _ := VerifyPassword(u2.PasswordHash, "pw2"); !ok || u2.Claims["name"] != "Demo Two" {
		t.Fatalf("password or claims not updated: %+v", u2)
	}
	if err := Sync(ctx, s, cfg, time.Now()); err != nil {
		t.Fatal(err)
	}
	if u3, _ := s.GetUserByUsername(ctx, "demo"); u3.PasswordHash != u2.PasswordHash {
		t.Fatal("an unchanged password was hashed again")
	}
}

// TestThrottleTryIsAtomic: 40 concurrent attempts on one account pass the
// check at most FreeAttempts+1 times.
func TestThrottleTryIsAtomic(t *testing.T) {
	th := NewThrottle()
	var passed atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if th.Try("user:a") == 0 {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != 6 {
		t.Fatalf("%d of 40 concurrent attempts passed, want 6 (5 free and the one that locks)", n)
	}
	th.Succeed("user:a")
	if th.Try("user:a") != 0 {
		t.Fatal("success did not clear the account")
	}
}
