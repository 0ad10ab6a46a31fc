package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// testSuspensions: a suspension is listed until it ends, a new one
// replaces the last (a shorter one too), resuming reports whether one was
// in force, and the sweep deletes ended ones.
func testSuspensions(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Second).UTC()
	list := func(at time.Time) []store.Suspension {
		t.Helper()
		got, err := s.ListSuspensions(ctx, at)
		if err != nil {
			t.Fatalf("ListSuspensions: %v", err)
		}
		return got
	}
	if got := list(now); len(got) != 0 {
		t.Fatalf("ListSuspensions of an empty store = %+v", got)
	}
	for _, c := range []store.Suspension{
		{ClientID: "b", Until: now.Add(time.Hour), Reason: "rule token_theft", CreatedAt: now},
		{ClientID: "a", Until: now.Add(2 * time.Hour), Reason: "first", CreatedAt: now},
		{ClientID: "a", Until: now.Add(30 * time.Minute), Reason: "operator", CreatedAt: now.Add(time.Second)},
		{ClientID: "gone", Until: now.Add(-time.Minute), Reason: "ended", CreatedAt: now.Add(-time.Hour)},
	} {
		if err := s.SuspendClient(ctx, c); err != nil {
			t.Fatalf("SuspendClient(%+v): %v", c, err)
		}
	}
	got := list(now)
	if len(got) != 2 || got[0].ClientID != "a" || got[1].ClientID != "b" {
		t.Fatalf("ListSuspensions = %+v, want a then b", got)
	}
	if a := got[0]; !a.Until.Equal(now.Add(30*time.Minute)) || a.Reason != "operator" || !a.CreatedAt.Equal(now.Add(time.Second)) {
		t.Errorf("the later suspension of a did not replace the first: %+v", a)
	}
	if got := list(now.Add(45 * time.Minute)); len(got) != 1 || got[0].ClientID != "b" {
		t.Errorf("ListSuspensions 45 minutes on = %+v, want b only", got)
	}

	for _, tt := range []struct {
		name, client string
		want         bool
	}{
		{"in force", "a", true},
		{"already resumed", "a", false},
		{"ended by itself", "gone", false},
		{"never suspended", "nobody", false},
	} {
		if was, err := s.ResumeClient(ctx, tt.client, now); err != nil || was != tt.want {
			t.Errorf("%s: ResumeClient(%s) = %v, %v; want %v", tt.name, tt.client, was, err, tt.want)
		}
	}
	if got := list(now); len(got) != 1 || got[0].ClientID != "b" {
		t.Errorf("after resuming a: %+v, want b only", got)
	}
	if err := s.DeleteExpired(ctx, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if was, err := s.ResumeClient(ctx, "b", now); err != nil || was {
		t.Errorf("ResumeClient after the sweep = %v, %v; want the row gone", was, err)
	}

	// ExtendSuspension keeps a longer suspension and lengthens a shorter
	// one, each in one statement.
	for _, tt := range []struct {
		name  string
		until time.Time
		want  time.Time
	}{
		{"new", now.Add(time.Hour), now.Add(time.Hour)},
		{"shorter kept out", now.Add(30 * time.Minute), now.Add(time.Hour)},
		{"longer taken", now.Add(3 * time.Hour), now.Add(3 * time.Hour)},
	} {
		got, err := s.ExtendSuspension(ctx, store.Suspension{ClientID: "x", Until: tt.until, Reason: tt.name, CreatedAt: now})
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s: ExtendSuspension = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if got := list(now); len(got) != 1 || got[0].Reason != "longer taken" {
		t.Errorf("after ExtendSuspension: %+v", got)
	}
}
