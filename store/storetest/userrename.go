package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portcullis/portcullis/store"
)

// testUserRename: renaming a user to a username another user has fails
// with ErrAlreadyExists and changes nothing; a user keeps its own name
// through an update.
func testUserRename(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []store.User{{ID: "u1", Username: "ada"}, {ID: "u2", Username: "grace"}} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	err := s.UpdateUser(ctx, "u2", func(u *store.User) error { u.Username, u.PasswordHash = "ada", "h"; return nil })
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("rename to a taken username: %v, want ErrAlreadyExists", err)
	}
	if got, _ := s.GetUser(ctx, "u2"); got.Username != "grace" || got.PasswordHash != "" {
		t.Fatalf("the refused rename changed the user: %+v", got)
	}
	if err := s.UpdateUser(ctx, "u1", func(u *store.User) error { u.Claims = map[string]any{"name": "Ada"}; return nil }); err != nil {
		t.Fatalf("an update that keeps the username: %v", err)
	}
}

// testUserRenameConcurrent: 50 users renamed to one username at once:
// exactly one gets it, every other rename fails with ErrAlreadyExists
// (never another error), and the losers keep their names.
func testUserRenameConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 50
	for i := range n {
		if err := s.CreateUser(ctx, store.User{ID: fmt.Sprintf("u%d", i), Username: fmt.Sprintf("user%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var won, taken atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.UpdateUser(ctx, fmt.Sprintf("u%d", i), func(u *store.User) error { u.Username = "popular"; return nil })
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, store.ErrAlreadyExists):
				taken.Add(1)
			default:
				t.Errorf("rename u%d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("%d renames won and %d found the name taken, want 1 and %d", won.Load(), taken.Load(), n-1)
	}
	all, err := s.ListUsers(ctx)
	if err != nil || len(all) != n {
		t.Fatalf("ListUsers: %d users, %v", len(all), err)
	}
	for _, u := range all {
		if u.Username != "popular" && u.Username != "user"+u.ID[1:] {
			t.Errorf("user %s is named %q", u.ID, u.Username)
		}
	}
}
