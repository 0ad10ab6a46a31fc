package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis/portcullis/store"
)

// jkt is a thumbprint's form: 43 base64url characters.
const jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

// testDPoPBindings: every record that carries a DPoP binding (RFC 9449)
// gives it back as stored, through each way it is written, and an unbound
// one stays unbound.
func testDPoPBindings(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()

	cl := store.Client{ID: "dpop-client", AuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code"}, DPoPBoundAccessTokens: true}
	if err := s.CreateClient(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetClient(ctx, cl.ID); err != nil || !got.DPoPBoundAccessTokens {
		t.Fatalf("GetClient = %+v, %v; want dpop_bound_access_tokens", got, err)
	}

	for _, want := range []string{jkt, ""} {
		r := store.AuthRequest{ID: "req-" + want, ClientID: "c", DPoPJKT: want, ExpiresAt: now.Add(time.Minute)}
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		// The pages save a request again when the browser takes it up.
		r.BrowserHash = "b"
		if err := s.SaveAuthRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetAuthRequest(ctx, r.ID, now); err != nil || got.DPoPJKT != want || got.BrowserHash != "b" {
			t.Fatalf("GetAuthRequest = %+v, %v; want dpop_jkt %q", got, err, want)
		}
	}

	if err := s.CreateGrant(ctx, store.Grant{ID: "dg", UserID: "u", ClientID: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{jkt, ""} {
		c := store.AuthCode{Hash: "code-" + want, GrantID: "dg", ClientID: "c", UserID: "u", DPoPJKT: want, ExpiresAt: now.Add(time.Minute)}
		if err := s.CreateAuthCode(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got, _, err := s.GetAuthCode(ctx, c.Hash, now); err != nil || got.DPoPJKT != want {
			t.Fatalf("GetAuthCode = %+v, %v; want dpop_jkt %q", got, err, want)
		}
	}

	base := store.RefreshToken{GrantID: "dg", ClientID: "c", UserID: "u", ExpiresAt: now.Add(time.Hour), FamilyExpiresAt: now.Add(time.Hour)}
	exchanged := base
	exchanged.Hash, exchanged.JKT = "drt-0", jkt
	if err := s.ExchangeAuthCode(ctx, "code-"+jkt, now, "dj-0", now.Add(time.Hour), &exchanged); err != nil {
		t.Fatal(err)
	}
	next := base
	next.Hash, next.JKT = "drt-1", jkt
	if err := s.RotateRefreshToken(ctx, "drt-0", now, []byte("s"), next, "dj-1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	unbound := base
	unbound.Hash = "drt-plain"
	if err := s.IssueTokens(ctx, "dg", "dj-2", now.Add(time.Hour), &unbound); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]string{"drt-0": jkt, "drt-1": jkt, "drt-plain": ""} {
		if got, err := s.GetRefreshToken(ctx, hash); err != nil || got.JKT != want {
			t.Fatalf("GetRefreshToken(%s) = %+v, %v; want jkt %q", hash, got, err, want)
		}
	}
}
