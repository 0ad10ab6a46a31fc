package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// serviceClient is a valid client for the test server's API.
func serviceClient(id string) registry.Client {
	return registry.Client{ClientID: id, GrantTypes: []string{"client_credentials"}, Scopes: []string{"read:users"}}
}

// TestProblems checks that the server's problems reach the caller as
// *sdk.Error values naming the status, the problem type and the field.
func TestProblems(t *testing.T) {
	s := startServer(t)
	c := s.sdk(t)
	ctx := context.Background()
	if _, err := c.Clients.Create(ctx, serviceClient("taken")); err != nil {
		t.Fatal(err)
	}
	const secret = "a-client-secret-that-must-never-be-echoed-0123456789"
	for _, tc := range []struct {
		name      string
		call      func(c *sdk.Client) error
		is        func(error) bool
		slug      string // the problem type's last segment; empty for the guard's answers
		field     string
		challenge string
	}{
		{name: "unknown client", call: func(c *sdk.Client) error { _, err := c.Clients.Get(ctx, "nobody"); return err },
			is: sdk.IsNotFound, slug: "not-found"},
		{name: "bad redirect URI", call: func(c *sdk.Client) error {
			cl := registry.Client{ClientID: "web-bad", ClientSecret: secret, GrantTypes: []string{"authorization_code"},
				RedirectURIs: []string{"ftp://example.com/cb"}}
			_, err := c.Clients.Create(ctx, cl)
			return err
		}, is: sdk.IsInvalid, slug: "invalid-request", field: "redirect_uris[0]"},
		{name: "unknown scope", call: func(c *sdk.Client) error {
			cl := serviceClient("svc-bad")
			cl.Scopes = []string{"no:such:scope"}
			_, err := c.Clients.Create(ctx, cl)
			return err
		}, is: sdk.IsInvalid, slug: "invalid-request", field: "scopes[0]"},
		{name: "client exists", call: func(c *sdk.Client) error { _, err := c.Clients.Create(ctx, serviceClient("taken")); return err },
			is: sdk.IsConflict, slug: "conflict"},
		{name: "client of the file", call: func(c *sdk.Client) error {
			_, err := c.Clients.Update(ctx, "web-app", sdk.Patch{"client_name": "x"}, "")
			return err
		}, is: sdk.IsConflict, slug: "conflict"},
		{name: "API without scopes", call: func(c *sdk.Client) error {
			_, err := c.APIs.Create(ctx, registry.API{Identifier: "https://empty.example.com"})
			return err
		}, is: sdk.IsInvalid, slug: "invalid-request", field: "scopes"},
		{name: "no token", call: func(*sdk.Client) error {
			anon, _ := sdk.New(s.URL, nil)
			_, err := anon.Clients.Page(ctx, sdk.ListOptions{})
			return err
		}, is: sdk.IsUnauthorized},
		{name: "scope missing", call: func(*sdk.Client) error {
			_, err := s.sdk(t, registry.ScopeClientsRead).Clients.Create(ctx, serviceClient("svc-narrow"))
			return err
		}, is: sdk.IsForbidden, challenge: registry.ScopeClientsWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(c)
			var e *sdk.Error
			if !errors.As(err, &e) || !tc.is(err) {
				t.Fatalf("err = %v", err)
			}
			if tc.slug != "" && !strings.HasSuffix(e.Problem.Type, "/"+tc.slug) {
				t.Errorf("problem type %q, want .../%s", e.Problem.Type, tc.slug)
			}
			if d, ok := e.Field(tc.field); tc.field != "" && (!ok || d == "") {
				t.Errorf("no problem for %s in %+v", tc.field, e.Problem.Errors)
			}
			if tc.challenge != "" && !strings.Contains(e.Challenge, tc.challenge) {
				t.Errorf("challenge %q does not name %s", e.Challenge, tc.challenge)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), s.AdminSecret) {
				t.Errorf("the error %q holds a secret", err)
			}
		})
	}
}

// TestPagination reads more than one page through the iterators and the
// one-page call, and stops early without reading further.
func TestPagination(t *testing.T) {
	s := startServer(t)
	c := s.sdk(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("svc-%02d", i)
		if _, err := c.Clients.Create(ctx, serviceClient(id)); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	want = append(want, "admin", "spa", "test-client", "web-app") // the file's
	slices.Sort(want)

	var got []string
	for cl, err := range c.Clients.List(ctx, sdk.ListOptions{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cl.ClientID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}

	var paged []string
	opts := sdk.ListOptions{Limit: 4}
	pages := 0
	for {
		p, err := c.Clients.Page(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, cl := range p.Items {
			paged = append(paged, cl.ClientID)
		}
		if p.NextCursor == "" {
			break
		}
		opts.Cursor = p.NextCursor
	}
	if pages != 3 || !slices.Equal(paged, want) {
		t.Errorf("%d pages of %v, want 3 of %v", pages, paged, want)
	}

	n := 0
	for _, err := range c.Clients.List(ctx, sdk.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("stopped after %d, want 3", n)
	}

	if _, err := c.Clients.Page(ctx, sdk.ListOptions{Cursor: "not-a-cursor"}); !sdk.IsInvalid(err) {
		t.Errorf("a forged cursor: %v, want 400", err)
	}
}

// TestIfMatch checks optimistic concurrency: a change made with the ETag
// of a read succeeds once; the next one with the same ETag is refused
// with 412, for PATCH and DELETE, and an empty ifMatch is unconditional.
func TestIfMatch(t *testing.T) {
	s := startServer(t)
	c := s.sdk(t)
	ctx := context.Background()
	const api = "https://orders.example.com/v1"
	created, err := c.APIs.Create(ctx, registry.API{Identifier: api, Name: "Orders",
		Scopes: []registry.Scope{{Name: "read:orders", Description: "Read orders"}}})
	if err != nil {
		t.Fatal(err)
	}
	if created.ETag == "" || created.Value.Source != registry.SourceStore {
		t.Fatalf("created %+v", created)
	}
	read, err := c.APIs.Get(ctx, api)
	if err != nil || read.ETag != created.ETag || read.Value.Scopes[0].Description != "Read orders" {
		t.Fatalf("read %+v, %v; want the created API with its ETag", read, err)
	}
	updated, err := c.APIs.Update(ctx, api, sdk.Patch{"name": "Orders API"}, read.ETag)
	if err != nil || updated.Value.Name != "Orders API" || updated.ETag == read.ETag {
		t.Fatalf("update: %+v, %v", updated, err)
	}
	if _, err := c.APIs.Update(ctx, api, sdk.Patch{"name": "Lost update"}, read.ETag); !sdk.IsPreconditionFailed(err) {
		t.Errorf("update with a stale ETag: %v, want 412", err)
	}
	if err := c.APIs.Delete(ctx, api, read.ETag); !sdk.IsPreconditionFailed(err) {
		t.Errorf("delete with a stale ETag: %v, want 412", err)
	}
	if v, err := c.APIs.Get(ctx, api); err != nil || v.Value.Name != "Orders API" {
		t.Errorf("after the refused changes: %+v, %v", v, err)
	}
	if _, err := c.APIs.Update(ctx, api, sdk.Patch{"name": "Orders"}, ""); err != nil {
		t.Errorf("unconditional update: %v", err)
	}
	if err := c.APIs.Delete(ctx, api, ""); err != nil {
		t.Fatalf("unconditional delete: %v", err)
	}
	if _, err := c.APIs.Get(ctx, api); !sdk.IsNotFound(err) {
		t.Errorf("after delete: %v, want 404", err)
	}
}

// TestConcurrentIfMatch shares one SDK client among 50 goroutines that
// each change the same client with the ETag of one read: exactly one
// change wins, the others are refused with 412.
func TestConcurrentIfMatch(t *testing.T) {
	s := startServer(t)
	c := s.sdk(t)
	ctx := context.Background()
	if _, err := c.Clients.Create(ctx, serviceClient("contended")); err != nil {
		t.Fatal(err)
	}
	read, err := c.Clients.Get(ctx, "contended")
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Clients.Update(ctx, "contended", sdk.Patch{"client_name": fmt.Sprintf("writer %d", i)}, read.ETag)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	var won, stale int
	for err := range errs {
		switch {
		case err == nil:
			won++
		case sdk.IsPreconditionFailed(err):
			stale++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if won != 1 || stale != n-1 {
		t.Errorf("%d changes won and %d were stale, want 1 and %d", won, stale, n-1)
	}
}
