package guard_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
)

// TestCutoffs serves a revocation list with cutoffs and checks which
// tokens each refuses: a cutoff names a client, a subject or both, and
// refuses tokens issued (iat) before its not_before, never at or after it.
func TestCutoffs(t *testing.T) {
	iss := newIssuer(t)
	nb := time.Now().Truncate(time.Second).Add(-time.Minute)
	exp := time.Now().Add(time.Hour).Unix()
	cutoffs := []map[string]any{
		{"client_id": "svc", "not_before": nb.Unix(), "exp": exp},
		{"sub": "alice", "not_before": nb.Unix(), "exp": exp},
		{"client_id": "web", "sub": "bob", "not_before": nb.Unix(), "exp": exp},
		// Expired: the tokens it could revoke have expired too.
		{"client_id": "gone", "not_before": nb.Unix(), "exp": time.Now().Add(-time.Hour).Unix()},
		// Names no one: ignored, not a reason to refuse everything.
		{"not_before": nb.Unix(), "exp": exp},
	}
	iss.Wrap("/revocations", func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			page := map[string]any{"cursor": 0, "revoked": []any{}, "cutoff_cursor": 5, "cutoffs": []any{}}
			if r.URL.Query().Get("cutoffs_after") == "0" {
				page["cutoffs"] = cutoffs
			}
			_ = json.NewEncoder(w).Encode(page)
		})
	})
	g := newGuard(t, iss.URL)
	before, at := nb.Add(-time.Second).Unix(), nb.Unix()
	tests := []struct {
		name        string
		client, sub string
		iat         int64
		revoked     bool
	}{
		{"client, issued before", "svc", "svc", before, true},
		{"client, any subject", "svc", "carol", before, true},
		{"client, issued at not_before", "svc", "svc", at, false},
		{"subject, issued before", "web", "alice", before, true},
		{"subject, issued at not_before", "web", "alice", at, false},
		{"pair, issued before", "web", "bob", before, true},
		{"pair, other client", "spa", "bob", before, false},
		{"pair, other subject", "web", "carol", before, false},
		{"expired cutoff", "gone", "gone", before, false},
		{"nobody's cutoff", "other", "other", before, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := iss.Claims("list:users")
			c["client_id"], c["sub"], c["iat"] = tt.client, tt.sub, tt.iat
			_, err := g.Verify(t.Context(), iss.Sign(nil, c))
			if got := errors.Is(err, guard.ErrRevoked); got != tt.revoked || (!tt.revoked && err != nil) {
				t.Errorf("Verify: %v; want revoked %v", err, tt.revoked)
			}
		})
	}
}

// TestCutoffCursor checks that the guard follows the cutoff cursor, and
// that a list without cutoffs (an older issuer) keeps working.
func TestCutoffCursor(t *testing.T) {
	iss := newIssuer(t)
	var seen []string
	iss.Wrap("/revocations", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.URL.Query().Get("cutoffs_after"))
			if r.URL.Query().Get("cutoffs_after") == "0" {
				_ = json.NewEncoder(w).Encode(map[string]any{"cursor": 0, "revoked": []any{}, "cutoff_cursor": 7, "cutoffs": []any{}})
				return
			}
			next.ServeHTTP(w, r) // the fake issuer's list has no cutoffs
		})
	})
	g := newGuard(t, iss.URL)
	if _, err := g.Verify(t.Context(), iss.Token("list:users")); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[0] != "0" || seen[1] != "7" {
		t.Errorf("cutoffs_after sent: %q; want 0, then the cursor answered", seen)
	}
}
