package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testSearchUsers matches the search text against usernames and email
// claims, ignoring case, with LIKE's wildcards taken literally, and pages
// through the matches.
func testSearchUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []struct{ name, email string }{
		{"alice", "Alice@Example.COM"},
		{"bob", "bob@corp.test"},
		{"carol", ""},
		{"dave_x", "dave@example.org"},
		{"davex", "dx@corp.test"},
		{"100%real", ""},
		{`back\slash`, ""},
		{"Zed", "zed@EXAMPLE.com"},
	} {
		claims := map[string]any{"name": u.name}
		if u.email != "" {
			claims["email"] = u.email
		}
		if err := s.CreateUser(ctx, store.User{ID: "id-" + u.name, Username: u.name, Claims: claims, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"everyone", "", []string{"alice", "bob", "carol", "dave_x", "davex", "100%real", `back\slash`, "Zed"}},
		{"username ignoring case", "ALI", []string{"alice"}},
		{"username with upper case, searched in lower", "zed", []string{"Zed"}},
		{"email ignoring case", "example.com", []string{"alice", "Zed"}},
		{"email only", "corp.test", []string{"bob", "davex"}},
		{"username or email, each user once", "dave", []string{"dave_x", "davex"}},
		{"underscore is literal", "_", []string{"dave_x"}},
		{"underscore is not a wildcard", "v_x", []string{}},
		{"percent is literal", "%", []string{"100%real"}},
		{"percent is not a wildcard", "d%x", []string{}},
		{"backslash is literal", `\`, []string{`back\slash`}},
		{"backslash escapes nothing", `k\s`, []string{`back\slash`}},
		{"no match", "nobody", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SearchUsers(ctx, store.UserQuery{Text: tt.text})
			if err != nil {
				t.Fatalf("SearchUsers(%q): %v", tt.text, err)
			}
			// The order of usernames is the backend's (bytes on SQLite,
			// the collation on PostgreSQL); the walks below check it.
			names := usernames(got)
			slices.Sort(names)
			slices.Sort(tt.want)
			if !slices.Equal(names, tt.want) {
				t.Fatalf("SearchUsers(%q) = %q, want %q", tt.text, names, tt.want)
			}
		})
	}
	// Lower-case letters order alike in every collation.
	all, err := s.SearchUsers(ctx, store.UserQuery{Text: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if i, j, k := slices.Index(usernames(all), "alice"), slices.Index(usernames(all), "carol"), slices.Index(usernames(all), "davex"); !(0 <= i && i < j && j < k) {
		t.Fatalf("SearchUsers(%q) = %q, not in username order", "a", usernames(all))
	}
	walked := walkUsers(t, s, store.UserQuery{Text: "a", Limit: 2})
	if !slices.Equal(walked, usernames(all)) || len(walked) < 5 {
		t.Fatalf("walking the matches for %q two at a time gave %q, want %q", "a", walked, usernames(all))
	}
}

// testSearchUsersPages walks more users than a page holds and checks the
// default and the largest page size.
func testSearchUsersPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = store.MaxPageLimit + 1
	var want []string
	for i := range n {
		name := fmt.Sprintf("user%04d", i)
		want = append(want, name)
		if err := s.CreateUser(ctx, store.User{ID: "id-" + name, Username: name, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"zero means the default", 0, store.DefaultPageLimit},
		{"negative means the default", -1, store.DefaultPageLimit},
		{"as asked", 7, 7},
		{"capped", 5 * store.MaxPageLimit, store.MaxPageLimit},
	}
	for _, tt := range tests {
		got, err := s.SearchUsers(ctx, store.UserQuery{Limit: tt.limit})
		if err != nil || len(got) != tt.want {
			t.Errorf("%s: SearchUsers(Limit %d) gave %d users, %v; want %d", tt.name, tt.limit, len(got), err, tt.want)
		}
	}
	if walked := walkUsers(t, s, store.UserQuery{Limit: 300}); !slices.Equal(walked, want) {
		t.Fatalf("walking %d users 300 at a time gave %d, want each once in order", n, len(walked))
	}
}

// walkUsers follows q's pages to the end and returns the usernames seen.
func walkUsers(t *testing.T, s store.Store, q store.UserQuery) []string {
	t.Helper()
	var out []string
	for range 100 {
		page, err := s.SearchUsers(context.Background(), q)
		if err != nil {
			t.Fatalf("SearchUsers(after %q): %v", q.After, err)
		}
		if len(page) > q.Limit {
			t.Fatalf("a page of %d users, limit %d", len(page), q.Limit)
		}
		out = append(out, usernames(page)...)
		if len(page) < q.Limit {
			return out
		}
		q.After = page[len(page)-1].Username
	}
	t.Fatal("the walk did not end")
	return nil
}

func usernames(users []store.User) []string {
	out := []string{}
	for _, u := range users {
		out = append(out, u.Username)
	}
	return out
}
