package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testLinks: a link is created alone or with its new user, found by its
// upstream pair, listed per user and deleted; a linked pair, a taken ID or
// a taken username writes nothing; deleting the user removes its links.
func testLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	u := &store.User{ID: "u", Username: "alice", CreatedAt: now}
	l := store.Link{ConnectorID: "corp", Subject: "up-1", UserID: "u", CreatedAt: now}
	if err := s.CreateLink(ctx, l, u); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUser(ctx, "u"); err != nil || got.Username != "alice" {
		t.Fatalf("the provisioned user = %+v, %v", got, err)
	}
	got, err := s.GetLink(ctx, "corp", "up-1")
	if err != nil || got.UserID != "u" || !got.CreatedAt.Equal(now) {
		t.Fatalf("GetLink = %+v, %v", got, err)
	}
	if _, err := s.GetLink(ctx, "other", "up-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetLink of another connector = %v; want ErrNotFound", err)
	}
	tests := []struct {
		name string
		l    store.Link
		u    *store.User
	}{
		{"a linked pair", store.Link{ConnectorID: "corp", Subject: "up-1", UserID: "v", CreatedAt: now}, nil},
		{"a linked pair with a new user", store.Link{ConnectorID: "corp", Subject: "up-1", UserID: "v"}, &store.User{ID: "v", Username: "bob", CreatedAt: now}},
		{"a taken username", store.Link{ConnectorID: "corp", Subject: "up-2", UserID: "w"}, &store.User{ID: "w", Username: "alice", CreatedAt: now}},
		{"a taken user ID", store.Link{ConnectorID: "corp", Subject: "up-3", UserID: "u"}, &store.User{ID: "u", Username: "carol", CreatedAt: now}},
	}
	for _, tt := range tests {
		if err := s.CreateLink(ctx, tt.l, tt.u); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("%s: CreateLink = %v; want ErrAlreadyExists", tt.name, err)
		}
		if tt.u != nil && tt.u.ID != "u" {
			if _, err := s.GetUser(ctx, tt.u.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: the refused link left its user: %v", tt.name, err)
			}
		}
		if _, err := s.GetLink(ctx, tt.l.ConnectorID, tt.l.Subject); tt.l.Subject != "up-1" && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: the refused link was stored: %v", tt.name, err)
		}
	}
	if err := s.CreateLink(ctx, store.Link{ConnectorID: "github", Subject: "42", UserID: "u", CreatedAt: now.Add(time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
	links, err := s.ListLinks(ctx, "u")
	if err != nil || len(links) != 2 || links[0].ConnectorID != "corp" || links[1].ConnectorID != "github" || links[1].UserID != "u" {
		t.Fatalf("ListLinks = %+v, %v", links, err)
	}
	if err := s.DeleteLink(ctx, "v", "github", "42"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteLink of another user's link = %v; want ErrNotFound", err)
	}
	if err := s.DeleteLink(ctx, "u", "github", "42"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, store.Cutoff{Subject: "u", NotBefore: now, ExpiresAt: now.Add(time.Hour)}, now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetLink(ctx, "corp", "up-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteUser left its link: %v", err)
	}
}

// testCreateLinkConcurrent: many first sign-ins of one upstream person at
// once provision exactly one user.
func testCreateLinkConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			id := string(rune('a' + i))
			err := s.CreateLink(ctx, store.Link{ConnectorID: "corp", Subject: "up", UserID: id, CreatedAt: now},
				&store.User{ID: id, Username: "user-" + id, CreatedAt: now})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrAlreadyExists):
				t.Errorf("CreateLink: %v", err)
			}
		})
	}
	wg.Wait()
	users, err := s.ListUsers(ctx)
	if wins.Load() != 1 || err != nil || len(users) != 1 {
		t.Fatalf("%d links created, %d users (%v); want 1 and 1", wins.Load(), len(users), err)
	}
}
