package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testListAndEndSessions: a user's live sessions are listed by SID, newest
// sign-in first, without the cookie's hash; ending one by SID removes it
// alone, and only for its own user.
func testListAndEndSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	for _, ss := range []store.Session{
		{IDHash: "h-old", SID: "sid-old", UserID: "u", AuthTime: now.Add(-2 * time.Hour), ExpiresAt: now.Add(time.Hour)},
		{IDHash: "h-new", SID: "sid-new", UserID: "u", AuthTime: now.Add(-time.Hour), AMR: []string{"pwd"}, ExpiresAt: now.Add(time.Hour)},
		{IDHash: "h-dead", SID: "sid-dead", UserID: "u", AuthTime: now.Add(-3 * time.Hour), ExpiresAt: now.Add(-time.Minute)},
		{IDHash: "h-other", SID: "sid-other", UserID: "v", AuthTime: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListSessions(ctx, "u", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SID != "sid-new" || got[1].SID != "sid-old" {
		t.Fatalf("ListSessions = %+v; want sid-new then sid-old", got)
	}
	for _, ss := range got {
		if ss.IDHash != "" {
			t.Fatalf("ListSessions returned the cookie's hash %q", ss.IDHash)
		}
	}
	if got[0].UserID != "u" || !got[0].AuthTime.Equal(now.Add(-time.Hour)) || !got[0].ExpiresAt.Equal(now.Add(time.Hour)) || len(got[0].AMR) != 1 {
		t.Fatalf("ListSessions[0] = %+v", got[0])
	}
	if none, err := s.ListSessions(ctx, "nobody", now); err != nil || len(none) != 0 {
		t.Fatalf("ListSessions of a user without sessions = %v, %v", none, err)
	}

	tests := []struct {
		name, user, sid string
		at              time.Time
		want            error
	}{
		{"another user's session", "u", "sid-other", now, store.ErrNotFound},
		{"an expired session", "u", "sid-dead", now, store.ErrNotFound},
		{"an empty sid", "u", "", now, store.ErrNotFound},
		{"an unknown sid", "u", "sid-none", now, store.ErrNotFound},
		{"the user's live session", "u", "sid-new", now, nil},
		{"the same session again", "u", "sid-new", now, store.ErrNotFound},
	}
	for _, tt := range tests {
		if err := s.EndSession(ctx, tt.user, tt.sid, tt.at); !errors.Is(err, tt.want) {
			t.Errorf("%s: EndSession = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := s.GetSession(ctx, "h-new", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ended session still found: %v", err)
	}
	for _, h := range []string{"h-old", "h-other"} {
		if _, err := s.GetSession(ctx, h, now); err != nil {
			t.Fatalf("session %s ended with another: %v", h, err)
		}
	}
}
