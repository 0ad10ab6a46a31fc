package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/store"
)

// A DELETE with If-Match tests the ETag inside the deletion's
// transaction: racing PATCHes and DELETEs that all carry the ETag read
// first, at most one succeeds, whichever lands first; a PATCH landing
// between a DELETE's read and its deletion makes the DELETE answer 412.
func TestDeleteRacesPatchWithOneETag(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	user := e.CreateUser(t, "racer")
	tok := e.Token(t, "admin", "")
	tests := []struct {
		name string
		path string
		// patch is the body of the i-th PATCH, each one a change.
		patch func(i int) any
	}{
		{"client", "clients/svc", func(i int) any { return map[string]any{"client_name": fmt.Sprintf("svc %d", i)} }},
		{"API", "apis/" + url.PathEscape(apiID), func(i int) any { return map[string]any{"name": fmt.Sprintf("Orders %d", i)} }},
		{"user", "users/" + url.PathEscape(user.ID), func(i int) any { return map[string]any{"claims": map[string]any{"n": i}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := admin.PathPrefix + tt.path
			etag := e.do(t, call{method: "GET", path: path, token: tok}).header.Get("ETag")
			if etag == "" {
				t.Fatalf("no ETag on %s", path)
			}
			const n = 20
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					c := call{method: "DELETE", path: path, token: tok, header: map[string]string{"If-Match": etag}}
					if i%2 == 1 {
						c.method, c.body = "PATCH", tt.patch(i)
					}
					statuses[i] = e.do(t, c).status
				})
			}
			wg.Wait()
			won := 0
			for i, s := range statuses {
				switch s {
				case http.StatusOK, http.StatusNoContent:
					won++
				case http.StatusPreconditionFailed, http.StatusNotFound:
				default:
					t.Errorf("racer %d answered %d", i, s)
				}
			}
			if won != 1 {
				t.Fatalf("%d of %d changes with one ETag succeeded (%v); want exactly one", won, n, statuses)
			}
		})
	}
}

// interleaved is a store in which a change (land) lands at the worst
// moment for a conditional deletion: right after the handler reads the
// row, or else right before the store deletes it.
type interleaved struct {
	store.Store
	change atomic.Pointer[func()]
}

// land runs the armed change once.
func (s *interleaved) land() {
	if f := s.change.Swap(nil); f != nil {
		(*f)()
	}
}

func (s *interleaved) GetClient(ctx context.Context, id string) (store.Client, error) {
	defer s.land()
	return s.Store.GetClient(ctx, id)
}

func (s *interleaved) GetAPI(ctx context.Context, id string) (store.API, error) {
	defer s.land()
	return s.Store.GetAPI(ctx, id)
}

func (s *interleaved) GetUser(ctx context.Context, id string) (store.User, error) {
	defer s.land()
	return s.Store.GetUser(ctx, id)
}

func (s *interleaved) DeleteClient(ctx context.Context, c store.Cutoff, now time.Time, check func(store.Client) error) error {
	s.land()
	return s.Store.DeleteClient(ctx, c, now, check)
}

func (s *interleaved) DeleteAPI(ctx context.Context, id string, check func(store.API) error) error {
	s.land()
	return s.Store.DeleteAPI(ctx, id, check)
}

func (s *interleaved) DeleteUser(ctx context.Context, c store.Cutoff, now time.Time, check func(store.User) error) error {
	s.land()
	return s.Store.DeleteUser(ctx, c, now, check)
}

func (s *interleaved) UpdateUser(ctx context.Context, id string, update func(*store.User) error) error {
	s.land()
	return s.Store.UpdateUser(ctx, id, update)
}

// A change landing between a DELETE's (or a password PUT's) read and its
// write makes it answer 412 and change nothing: the If-Match test runs
// inside the write's transaction, not before it.
func TestChangeBetweenReadAndDelete(t *testing.T) {
	il := &interleaved{}
	e := newEnv(t, envOptions{wrap: func(s store.Store) store.Store { il.Store = s; return il }})
	e.seed(t)
	user := e.CreateUser(t, "victim")
	tok := e.Token(t, "admin", "")
	ctx := context.Background()
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		// change is the concurrent change, made in the store directly.
		change func() error
		// exists reports whether the resource is still there.
		exists func() bool
	}{
		{"client", "DELETE", "clients/svc", nil,
			func() error {
				return e.AS.Store.UpdateClient(ctx, "svc", func(c *store.Client) error { c.Name = "changed"; return nil })
			},
			func() bool { _, err := e.AS.Store.GetClient(ctx, "svc"); return err == nil }},
		{"API", "DELETE", "apis/" + url.PathEscape(apiID), nil,
			func() error {
				return e.AS.Store.UpdateAPI(ctx, apiID, func(a *store.API) error { a.Name = "changed"; return nil })
			},
			func() bool { _, err := e.AS.Store.GetAPI(ctx, apiID); return err == nil }},
		{"user password", "PUT", "users/" + url.PathEscape(user.ID) + "/password", map[string]any{"password": "another long password"},
			func() error {
				return e.AS.Store.UpdateUser(ctx, user.ID, func(u *store.User) error { u.Claims = map[string]any{"n": 1}; return nil })
			},
			func() bool { u, err := e.AS.Store.GetUser(ctx, user.ID); return err == nil && u.PasswordHash != "" }},
		{"user", "DELETE", "users/" + url.PathEscape(user.ID), nil,
			func() error {
				return e.AS.Store.UpdateUser(ctx, user.ID, func(u *store.User) error { u.Claims = map[string]any{"n": 2}; return nil })
			},
			func() bool { _, err := e.AS.Store.GetUser(ctx, user.ID); return err == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := admin.PathPrefix + tt.path
			if tt.method == "PUT" {
				path = strings.TrimSuffix(path, "/password")
			}
			etag := e.do(t, call{method: "GET", path: path, token: tok}).header.Get("ETag")
			var before string
			if u, err := e.AS.Store.GetUser(ctx, user.ID); err == nil {
				before = u.PasswordHash
			}
			change := func() {
				if err := tt.change(); err != nil {
					t.Errorf("the concurrent change: %v", err)
				}
			}
			il.change.Store(&change)
			a := e.do(t, call{method: tt.method, path: admin.PathPrefix + tt.path, token: tok, body: tt.body,
				header: map[string]string{"If-Match": etag}})
			if il.change.Load() != nil {
				t.Fatal("the change never landed")
			}
			if a.status != http.StatusPreconditionFailed {
				t.Fatalf("%s after a change landed: %d %s; want 412", tt.method, a.status, a.body)
			}
			if !tt.exists() {
				t.Fatal("the refused request deleted it")
			}
			if u, err := e.AS.Store.GetUser(ctx, user.ID); tt.method == "PUT" && (err != nil || u.PasswordHash != before) {
				t.Fatal("the refused password change was saved")
			}
		})
	}
}
