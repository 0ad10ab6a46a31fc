package users

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// TestFederate runs Federate on SQLite against users and links set up per
// case, and checks the user it returns, how, and what it stored.
func TestFederate(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	jit := FederationRules{CreateUsers: true}
	alice := connectors.Identity{Subject: "up-1", Username: "alice", Email: "Alice@Example.com", EmailVerified: true, Name: "Alice A"}
	tests := []struct {
		name string
		// setup adds users (and links) before the sign-in.
		users   []store.User
		links   []store.Link
		id      connectors.Identity
		rules   FederationRules
		want    Outcome
		wantErr error
		// wantUser is the ID of the user expected; "" means a new one.
		wantUser     string
		wantUsername string
		check        func(t *testing.T, u store.User)
	}{
		{name: "existing link", users: []store.User{{ID: "u1", Username: "someone"}},
			links: []store.Link{{ConnectorID: "corp", Subject: "up-1", UserID: "u1"}},
			id:    alice, rules: FederationRules{}, want: Linked, wantUser: "u1"},
		{name: "disabled user refused", users: []store.User{{ID: "u1", Username: "someone", Disabled: true}},
			links: []store.Link{{ConnectorID: "corp", Subject: "up-1", UserID: "u1"}},
			id:    alice, rules: jit, wantErr: ErrDisabled},
		{name: "link by email on", users: []store.User{{ID: "u1", Username: "al", Claims: map[string]any{"email": "alice@example.COM", "email_verified": true}}},
			id: alice, rules: FederationRules{LinkByEmail: true}, want: LinkedByEmail, wantUser: "u1"},
		{name: "user with an unverified email is never linked", users: []store.User{{ID: "u1", Username: "al", Claims: map[string]any{"email": "alice@example.com"}}},
			id: alice, rules: FederationRules{LinkByEmail: true, CreateUsers: true}, want: Created, wantUsername: "alice"},
		{name: "link by email off creates", users: []store.User{{ID: "u1", Username: "al", Claims: map[string]any{"email": "alice@example.com"}}},
			id: alice, rules: jit, want: Created, wantUsername: "alice"},
		{name: "link by email off without JIT refused", users: []store.User{{ID: "u1", Username: "al", Claims: map[string]any{"email": "alice@example.com"}}},
			id: alice, rules: FederationRules{}, wantErr: ErrNoAccount},
		{name: "unverified email never links", users: []store.User{{ID: "u1", Username: "al", Claims: map[string]any{"email": "alice@example.com"}}},
			id: connectors.Identity{Subject: "up-1", Username: "alice", Email: "alice@example.com"}, rules: FederationRules{LinkByEmail: true, CreateUsers: true},
			want: Created, wantUsername: "alice"},
		{name: "two users with the email link none", users: []store.User{
			{ID: "u1", Username: "al", Claims: map[string]any{"email": "alice@example.com", "email_verified": true}},
			{ID: "u2", Username: "al2", Claims: map[string]any{"email": "ALICE@example.com", "email_verified": true}}},
			id: alice, rules: FederationRules{LinkByEmail: true}, wantErr: ErrNoAccount},
		{name: "email contained in another is no match", users: []store.User{{ID: "u1", Username: "al", Claims: map[string]any{"email": "xalice@example.com", "email_verified": true}}},
			id: alice, rules: FederationRules{LinkByEmail: true}, wantErr: ErrNoAccount},
		{name: "JIT off unknown refused", id: alice, rules: FederationRules{}, wantErr: ErrNoAccount},
		{name: "JIT on creates", id: alice, rules: jit, want: Created, wantUsername: "alice", check: func(t *testing.T, u store.User) {
			if u.PasswordHash != "" {
				t.Error("a federated user has a password")
			}
			if u.Claims["email"] != "Alice@Example.com" || u.Claims["email_verified"] != true || u.Claims["name"] != "Alice A" {
				t.Errorf("claims = %v", u.Claims)
			}
			if _, ok := u.Claims["groups"]; ok {
				t.Error("groups claim without groups.claim")
			}
		}},
		{name: "username from email local part", id: connectors.Identity{Subject: "up-1", Email: "bob@example.com"}, rules: jit, want: Created, wantUsername: "bob"},
		{name: "username collision suffix", users: []store.User{{ID: "u1", Username: "alice"}, {ID: "u2", Username: "alice-2"}},
			id: alice, rules: jit, want: Created, wantUsername: "alice-3"},
		{name: "roles replaced by mapping", users: []store.User{{ID: "u1", Username: "someone", Roles: []string{"admin"}}},
			links: []store.Link{{ConnectorID: "corp", Subject: "up-1", UserID: "u1"}},
			id:    connectors.Identity{Subject: "up-1", Groups: []string{"ops", "dev"}},
			rules: FederationRules{Roles: map[string][]string{"admin": {"root"}, "viewer": {"ops"}}}, want: Linked, wantUser: "u1",
			check: func(t *testing.T, u store.User) {
				if !slices.Equal(u.Roles, []string{"viewer"}) {
					t.Errorf("roles = %v, want [viewer]", u.Roles)
				}
			}},
		{name: "roles kept without mapping", users: []store.User{{ID: "u1", Username: "someone", Roles: []string{"admin"}}},
			links: []store.Link{{ConnectorID: "corp", Subject: "up-1", UserID: "u1"}},
			id:    connectors.Identity{Subject: "up-1", Groups: []string{"ops"}}, want: Linked, wantUser: "u1",
			check: func(t *testing.T, u store.User) {
				if !slices.Equal(u.Roles, []string{"admin"}) {
					t.Errorf("roles = %v, want [admin]", u.Roles)
				}
			}},
		{name: "groups claim with include patterns", id: connectors.Identity{Subject: "up-1", Username: "g", Groups: []string{"eng:web", "eng:db", "sales", "engineering"}},
			rules: FederationRules{CreateUsers: true, GroupsClaim: true, Include: []string{"eng:*", "sales"}}, want: Created, wantUsername: "g",
			check: func(t *testing.T, u store.User) {
				if got, _ := u.Claims["groups"].([]any); len(got) != 3 || got[0] != "eng:web" || got[1] != "eng:db" || got[2] != "sales" {
					t.Errorf("groups = %#v", u.Claims["groups"])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			for _, u := range tt.users {
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range tt.links {
				if err := st.CreateLink(ctx, l, nil); err != nil {
					t.Fatal(err)
				}
			}
			u, got, err := Federate(ctx, st, "corp", tt.id, tt.rules, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("outcome = %v, want %v", got, tt.want)
			}
			if u.ID == tt.id.Subject {
				t.Fatal("the user's subject is the upstream's")
			}
			if tt.wantUser != "" && u.ID != tt.wantUser {
				t.Errorf("user = %s, want %s", u.ID, tt.wantUser)
			}
			if tt.wantUsername != "" && u.Username != tt.wantUsername {
				t.Errorf("username = %q, want %q", u.Username, tt.wantUsername)
			}
			l, err := st.GetLink(ctx, "corp", tt.id.Subject)
			if err != nil || l.UserID != u.ID {
				t.Fatalf("link = %+v, %v; want to %s", l, err, u.ID)
			}
			stored, err := st.GetUser(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, stored)
			}
			// A second sign-in finds the same user through the link.
			again, how, err := Federate(ctx, st, "corp", tt.id, tt.rules, now)
			if err != nil || again.ID != u.ID || how != Linked {
				t.Fatalf("second sign-in = %s, %v, %v; want %s, Linked", again.ID, how, err, u.ID)
			}
		})
	}
}

// TestFederatePreHijack: an attacker signs in first through a connector
// that does not verify addresses, claiming the victim's; the victim's
// verified sign-in through a linking connector must not land in the
// attacker's account.
func TestFederatePreHijack(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	attacker, _, err := Federate(ctx, st, "social", connectors.Identity{Subject: "evil", Username: "victim", Email: "victim@corp.example"},
		FederationRules{CreateUsers: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	victim, how, err := Federate(ctx, st, "corp", connectors.Identity{Subject: "v-1", Email: "victim@corp.example", EmailVerified: true},
		FederationRules{CreateUsers: true, LinkByEmail: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if victim.ID == attacker.ID || how != Created {
		t.Fatalf("victim's sign-in = %s (%v), attacker's user %s: linked to the attacker", victim.ID, how, attacker.ID)
	}
}

// TestFederateRefreshEmail: a verified address is kept over an
// unverified one, and verification comes from the upstream only.
func TestFederateRefreshEmail(t *testing.T) {
	tests := []struct {
		name         string
		claims       map[string]any
		id           connectors.Identity
		wantEmail    string
		wantVerified bool
	}{
		{name: "verified kept over unverified", claims: map[string]any{"email": "a@corp.example", "email_verified": true},
			id: connectors.Identity{Subject: "s", Email: "b@corp.example"}, wantEmail: "a@corp.example", wantVerified: true},
		{name: "verified replaces verified", claims: map[string]any{"email": "a@corp.example", "email_verified": true},
			id: connectors.Identity{Subject: "s", Email: "b@corp.example", EmailVerified: true}, wantEmail: "b@corp.example", wantVerified: true},
		{name: "unverified replaces unverified", claims: map[string]any{"email": "a@corp.example", "email_verified": false},
			id: connectors.Identity{Subject: "s", Email: "b@corp.example"}, wantEmail: "b@corp.example"},
		{name: "same address unverified upstream stays verified", claims: map[string]any{"email": "a@corp.example", "email_verified": true},
			id: connectors.Identity{Subject: "s", Email: "a@corp.example"}, wantEmail: "a@corp.example", wantVerified: true},
		{name: "no claim set from unverified", claims: nil,
			id: connectors.Identity{Subject: "s", Email: "b@corp.example"}, wantEmail: "b@corp.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := store.User{Claims: tt.claims}
			refresh(&u, tt.id, FederationRules{})
			if u.Claims["email"] != tt.wantEmail || u.Claims["email_verified"] != tt.wantVerified {
				t.Errorf("claims = %v, want email %s verified %v", u.Claims, tt.wantEmail, tt.wantVerified)
			}
		})
	}
}

// TestFederateUsername: a just-in-time username is folded to a safe set
// and never takes a reserved, configured or (ignoring case) stored name.
func TestFederateUsername(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		upstream string
		want     string
	}{
		{name: "capitalised reserved", upstream: "Admin", want: "admin-2"},
		{name: "zero-width space", upstream: "admin\u200b", want: "admin-2"},
		{name: "right-to-left override", upstream: "\u202enimda", want: "nimda"},
		{name: "full-width letters", upstream: "\uff41\uff44\uff4d\uff49\uff4e", want: "admin-2"},
		{name: "configured user ignoring case", upstream: "OPS", want: "ops-2"},
		{name: "stored user ignoring case", existing: []string{"Carol"}, upstream: "carol", want: "carol-2"},
		{name: "spaces and symbols", upstream: "Jean Dupont!", want: "jean-dupont"},
		{name: "nothing left", upstream: "\u200b\u200b", want: "user"},
		{name: "root via lookalike", upstream: "ROOT", want: "root-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			for i, name := range tt.existing {
				if err := st.CreateUser(ctx, store.User{ID: "u" + string(rune('0'+i)), Username: name}); err != nil {
					t.Fatal(err)
				}
			}
			rules := FederationRules{CreateUsers: true, Configured: []string{"ops"}}
			u, _, err := Federate(ctx, st, "corp", connectors.Identity{Subject: "s", Username: tt.upstream}, rules, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if u.Username != tt.want {
				t.Errorf("username = %q, want %q", u.Username, tt.want)
			}
		})
	}
}

// TestFederateNeverLinksConfigured: a configured user is never the
// target of link_by_email, even with a verified matching address.
func TestFederateNeverLinksConfigured(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateUser(ctx, store.User{ID: "cfg", Username: "Ops", Claims: map[string]any{"email": "ops@corp.example", "email_verified": true}}); err != nil {
		t.Fatal(err)
	}
	rules := FederationRules{LinkByEmail: true, Configured: []string{"ops"}}
	_, _, err = Federate(ctx, st, "corp", connectors.Identity{Subject: "s", Email: "ops@corp.example", EmailVerified: true}, rules, time.Now())
	if !errors.Is(err, ErrNoAccount) {
		t.Fatalf("err = %v, want ErrNoAccount", err)
	}
}
