package users

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
	"github.com/portcullis/portcullis/users/throttletest"
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

// TestThrottle runs the throttle conformance suite on the in-memory
// throttle; one instance stands for every instance.
func TestThrottle(t *testing.T) {
	throttletest.Run(t, func(t *testing.T, r throttletest.Rules) func() throttletest.Throttle {
		th := &Throttle{FreeAttempts: r.FreeAttempts, Window: r.Window, MaxDelay: r.MaxDelay, Now: r.Now}
		return func() throttletest.Throttle { return th }
	})
}

// TestLoginKeys: the account key is the account at an address, so another
// address has another key; IPv6 addresses count by their /64.
func TestLoginKeys(t *testing.T) {
	tests := []struct {
		name, username, ip string
		account, address   string
	}{
		{"IPv4", "Demo", "198.51.100.7", "user:demo\x00ip:198.51.100.7", "ip:198.51.100.7"},
		{"IPv4 mapped into IPv6", "demo", "::ffff:198.51.100.7", "user:demo\x00ip:198.51.100.7", "ip:198.51.100.7"},
		{"IPv6 by its /64", "demo", "2001:db8:1:2:aaaa::1", "user:demo\x00ip:2001:db8:1:2::/64", "ip:2001:db8:1:2::/64"},
		{"another address of that /64", "demo", "2001:db8:1:2:ffff:ffff:ffff:fffe", "user:demo\x00ip:2001:db8:1:2::/64", "ip:2001:db8:1:2::/64"},
		{"IPv6 with a zone", "demo", "fe80::1%eth0", "user:demo\x00ip:fe80::/64", "ip:fe80::/64"},
		{"not an address", "demo", "pipe", "user:demo\x00ip:pipe", "ip:pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account, address := LoginKeys(tt.username, tt.ip)
			if account != tt.account || address != tt.address {
				t.Fatalf("LoginKeys = %q, %q; want %q, %q", account, address, tt.account, tt.address)
			}
		})
	}
	if a, _ := LoginKeys("demo", "2001:db8:1:3::1"); a == "user:demo\x00ip:2001:db8:1:2::/64" {
		t.Fatal("another /64 shares the key")
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
	// The file is the truth for its users' roles: given, changed, taken
	// away.
	for _, roles := range [][]string{{"admin"}, {"viewer"}, nil} {
		cfg[0].Roles = roles
		if err := Sync(ctx, s, cfg, time.Now()); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.GetUserByUsername(ctx, "demo"); !slices.Equal(u.Roles, roles) {
			t.Fatalf("roles %q after a sync of %q", u.Roles, roles)
		}
	}
}

// TestSyncRefusesForeignUser: a configured username that a federated
// (linked) or password-less user already holds fails the start, naming
// the username, and leaves that user as it was.
func TestSyncRefusesForeignUser(t *testing.T) {
	tests := []struct {
		name string
		user store.User
		link bool
	}{
		{name: "just-in-time user", user: store.User{ID: "jit", Username: "ops"}, link: true},
		{name: "linked user with a password", user: store.User{ID: "jit", Username: "ops", PasswordHash: HashPassword("x")}, link: true},
		{name: "user without a password", user: store.User{ID: "cli", Username: "ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "u.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tt.link {
				err = s.CreateLink(ctx, store.Link{ConnectorID: "corp", Subject: "up", UserID: tt.user.ID}, &tt.user)
			} else {
				err = s.CreateUser(ctx, tt.user)
			}
			if err != nil {
				t.Fatal(err)
			}
			err = Sync(ctx, s, []Configured{{Username: "ops", Password: "pw", Roles: []string{"admin"}}}, time.Now())
			if err == nil || !strings.Contains(err.Error(), `"ops"`) {
				t.Fatalf("err = %v, want a refusal naming ops", err)
			}
			if u, _ := s.GetUserByUsername(ctx, "ops"); len(u.Roles) != 0 || u.PasswordHash != tt.user.PasswordHash {
				t.Fatalf("the stored user was adopted: %+v", u)
			}
		})
	}
}
