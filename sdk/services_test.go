package sdk_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
	"github.com/portcullis/portcullis/store"
)

// TestServices calls every route through the SDK against the real
// handlers, so that a path, a query parameter or a body the SDK and the
// server spell differently fails here.
func TestServices(t *testing.T) {
	s := startServer(t)
	c := s.sdk(t)
	ctx := context.Background()

	t.Run("OpenAPI document", func(t *testing.T) {
		doc, err := c.OpenAPI(ctx)
		var d struct {
			OpenAPI string `json:"openapi"`
		}
		if err != nil || json.Unmarshal(doc, &d) != nil || d.OpenAPI == "" {
			t.Fatalf("%v, %.100s", err, doc)
		}
	})

	t.Run("clients: rotate the secret with an overlap, update, delete", func(t *testing.T) {
		created, err := c.Clients.Create(ctx, serviceClient("rotating"))
		if err != nil {
			t.Fatal(err)
		}
		rot, err := c.Clients.RotateSecret(ctx, "rotating", registry.SecretRotation{Overlap: registry.Duration(time.Hour)})
		if err != nil || rot.ClientSecret == "" || rot.ClientSecret == created.Value.ClientSecret || rot.PreviousSecretExpiresAt.IsZero() {
			t.Fatalf("rotate: %+v, %v", rot, err)
		}
		for _, secret := range []string{created.Value.ClientSecret, rot.ClientSecret} {
			cc := clientcredentials.Config{ClientID: "rotating", ClientSecret: secret, TokenURL: s.URL + "/token"}
			if _, err := cc.Token(ctx); err != nil {
				t.Errorf("a secret valid during the overlap is refused: %v", err)
			}
		}
		got, err := c.Clients.Get(ctx, "rotating")
		if err != nil || got.Value.PreviousSecretExpiresAt.IsZero() || got.Value.ClientSecret != "" {
			t.Fatalf("read after rotation: %+v, %v", got, err)
		}
		upd, err := c.Clients.Update(ctx, "rotating", sdk.Patch{"client_name": "Rotating", "access_token_ttl": "10m"}, got.ETag)
		if err != nil || upd.Value.Name != "Rotating" || upd.Value.AccessTokenTTL.D() != 10*time.Minute {
			t.Fatalf("update: %+v, %v", upd, err)
		}
		if err := c.Clients.Delete(ctx, "rotating", upd.ETag); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Clients.Get(ctx, "rotating"); !sdk.IsNotFound(err) {
			t.Errorf("after delete: %v", err)
		}
	})

	t.Run("APIs: the built-in management API is listed", func(t *testing.T) {
		var ids []string
		for a, err := range c.APIs.List(ctx, sdk.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.Identifier)
		}
		if !slices.Contains(ids, registry.AdminAudience(s.URL)) {
			t.Errorf("APIs %v do not include the management API", ids)
		}
	})

	var userID string
	t.Run("users: create, search, claims, disable, password, delete", func(t *testing.T) {
		u, err := c.Users.Create(ctx, registry.User{Username: "grace", Password: "compiler-1952-cobol",
			Claims: map[string]any{"email": "grace@example.com", "name": "Grace"}})
		if err != nil {
			t.Fatal(err)
		}
		userID = u.Value.ID
		var found []string
		for v, err := range c.Users.List(ctx, sdk.UserListOptions{Query: "GRACE@"}) {
			if err != nil {
				t.Fatal(err)
			}
			found = append(found, v.Username)
		}
		if !slices.Equal(found, []string{"grace"}) {
			t.Errorf("search by email found %v", found)
		}
		upd, err := c.Users.Update(ctx, userID, sdk.Patch{"claims": map[string]any{"name": nil, "nickname": "Amazing"}}, u.ETag)
		if err != nil || upd.Value.Claims["name"] != nil || upd.Value.Claims["nickname"] != "Amazing" || upd.Value.Claims["email"] != "grace@example.com" {
			t.Fatalf("claims merge: %+v, %v", upd.Value.Claims, err)
		}
		if v, err := c.Users.SetDisabled(ctx, userID, true); err != nil || !v.Value.Disabled {
			t.Fatalf("disable: %+v, %v", v, err)
		}
		if v, err := c.Users.SetDisabled(ctx, userID, false); err != nil || v.Value.Disabled {
			t.Fatalf("enable: %+v, %v", v, err)
		}
		if err := c.Users.SetPassword(ctx, userID, "short"); !sdk.IsInvalid(err) {
			t.Errorf("a short password: %v, want 400", err)
		}
		if err := c.Users.SetPassword(ctx, userID, "a-new-long-password"); err != nil {
			t.Fatal(err)
		}
		for _, err := range c.Users.Grants(ctx, userID, sdk.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("users: list and end sessions", func(t *testing.T) {
		now := time.Now()
		if err := s.Store.CreateSession(ctx, store.Session{IDHash: "h", SID: "sid-1", UserID: userID, AuthTime: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := c.Users.Sessions(ctx, userID)
		if err != nil || len(got) != 1 || got[0].SID != "sid-1" || got[0].Subject != userID {
			t.Fatalf("sessions: %+v, %v", got, err)
		}
		if err := c.Users.EndSession(ctx, userID, "sid-1"); err != nil {
			t.Fatal(err)
		}
		if err := c.Users.EndSession(ctx, userID, "sid-1"); !sdk.IsNotFound(err) {
			t.Errorf("ending it again: %v, want 404", err)
		}
		if got, err := c.Users.Sessions(ctx, userID); err != nil || len(got) != 0 {
			t.Errorf("sessions after the end: %+v, %v", got, err)
		}
	})

	t.Run("users: list and delete links", func(t *testing.T) {
		now := time.Now().UTC().Truncate(time.Second)
		// An LDAP DN with a slash: the SDK escapes it as one segment.
		dn := "uid=u,ou=eu/west,dc=example"
		for _, l := range []store.Link{
			{ConnectorID: "corp", Subject: dn, UserID: userID, CreatedAt: now},
			{ConnectorID: "github", Subject: "42", UserID: userID, CreatedAt: now.Add(time.Second)},
		} {
			if err := s.Store.CreateLink(ctx, l, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.Users.Links(ctx, userID)
		if err != nil || len(got) != 2 || got[0].ConnectorID != "corp" || got[0].Subject != dn || !got[0].CreatedAt.Equal(now) || got[1].Subject != "42" {
			t.Fatalf("links: %+v, %v", got, err)
		}
		if err := c.Users.DeleteLink(ctx, userID, "corp", dn); err != nil {
			t.Fatal(err)
		}
		if err := c.Users.DeleteLink(ctx, userID, "corp", dn); !sdk.IsNotFound(err) {
			t.Errorf("deleting it again: %v, want 404", err)
		}
		if err := c.Users.DeleteLink(ctx, userID, "github", "bad\x00subject"); !sdk.IsInvalid(err) {
			t.Errorf("a subject with a control character: %v, want 400", err)
		}
		if _, err := c.Users.Links(ctx, "no-such-user"); !sdk.IsNotFound(err) {
			t.Errorf("an unknown user's links: %v, want 404", err)
		}
		if got, err := c.Users.Links(ctx, userID); err != nil || len(got) != 1 || got[0].ConnectorID != "github" {
			t.Errorf("links after the delete: %+v, %v", got, err)
		}
	})

	t.Run("users: list, delete and reset factors", func(t *testing.T) {
		now := time.Now()
		for _, f := range []store.Factor{
			{ID: "f-1", UserID: userID, Kind: store.FactorTOTP, Name: "Phone", Data: []byte("sealed"), CreatedAt: now},
			{ID: "f-2", UserID: userID, Kind: store.FactorPasskey, Name: "Key", CredentialID: []byte("c"), Data: []byte("pk"), CreatedAt: now.Add(time.Second)},
			{ID: "f-3", UserID: userID, Kind: store.FactorTOTP, Name: "Tablet", Data: []byte("sealed"), CreatedAt: now.Add(2 * time.Second)},
		} {
			if err := s.Store.CreateFactor(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Store.ReplaceRecoveryCodes(ctx, userID, []string{"h1", "h2"}, now); err != nil {
			t.Fatal(err)
		}
		got, err := c.Users.Factors(ctx, userID)
		if err != nil || len(got.Items) != 3 || got.Items[1].ID != "f-2" || got.Items[1].Kind != "passkey" || got.RecoveryCodesLeft != 2 {
			t.Fatalf("factors: %+v, %v", got, err)
		}
		if _, err := c.Users.Factors(ctx, "no-such-user"); !sdk.IsNotFound(err) {
			t.Errorf("an unknown user's factors: %v, want 404", err)
		}
		if err := c.Users.DeleteFactor(ctx, userID, "f-2"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"f-2", "no-such-factor", "../sessions"} {
			if err := c.Users.DeleteFactor(ctx, userID, id); !sdk.IsNotFound(err) {
				t.Errorf("deleting factor %q: %v, want 404", id, err)
			}
		}
		if n, err := c.Users.ResetFactors(ctx, userID); err != nil || n != 2 {
			t.Fatalf("reset: %d, %v; want 2", n, err)
		}
		if got, err := c.Users.Factors(ctx, userID); err != nil || len(got.Items) != 0 || got.RecoveryCodesLeft != 0 {
			t.Errorf("factors after the reset: %+v, %v", got, err)
		}
		if _, err := c.Users.ResetFactors(ctx, "no-such-user"); !sdk.IsNotFound(err) {
			t.Errorf("resetting an unknown user's factors: %v, want 404", err)
		}
	})

	t.Run("grants and revocations", func(t *testing.T) {
		if _, err := c.Grants.Page(ctx, sdk.GrantFilter{ClientID: "web-app", Live: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Grants.Get(ctx, "no-such-grant"); !sdk.IsNotFound(err) {
			t.Errorf("unknown grant: %v", err)
		}
		res, err := c.Grants.RevokeTokens(ctx, registry.Revocation{Subject: userID})
		if err != nil || res.NotBefore.IsZero() {
			t.Fatalf("revoke the user's tokens: %+v, %v", res, err)
		}
		if _, err := c.Grants.RevokeTokens(ctx, registry.Revocation{}); !sdk.IsInvalid(err) {
			t.Errorf("an empty revocation: %v, want 400", err)
		}
	})

	t.Run("keys: list and rotate", func(t *testing.T) {
		before, err := c.Keys.List(ctx)
		if err != nil || len(before) == 0 {
			t.Fatalf("%v, %v", before, err)
		}
		k, err := c.Keys.Rotate(ctx, registry.KeyRotation{ActivateIn: registry.Duration(time.Hour)})
		if err != nil || k.KID == "" || len(k.Public) == 0 {
			t.Fatalf("rotate: %+v, %v", k, err)
		}
		after, err := c.Keys.List(ctx)
		if err != nil || len(after) != len(before)+1 {
			t.Errorf("%d keys after a rotation, want %d: %v", len(after), len(before)+1, err)
		}
	})

	t.Run("audit, usage and anomalies", func(t *testing.T) {
		p, err := c.Audit.Page(ctx, sdk.AuditFilter{ClientID: "rotating", Until: time.Now().Add(time.Minute), ListOptions: sdk.ListOptions{Limit: 2}})
		if err != nil || len(p.Items) != 2 || p.NextCursor == "" {
			t.Fatalf("a page of the rotating client's events: %+v, %v", p, err)
		}
		rep, err := c.Usage.Report(ctx, sdk.UsageFilter{By: "day", Since: time.Now().Add(-48 * time.Hour)})
		if err != nil || rep.By != "day" {
			t.Fatalf("usage: %+v, %v", rep, err)
		}
		if _, err := c.Usage.Report(ctx, sdk.UsageFilter{By: "week"}); !sdk.IsInvalid(err) {
			t.Errorf("by week: %v, want 400", err)
		}
		for _, err := range c.Usage.Anomalies(ctx, sdk.AnomalyFilter{Since: time.Now().Add(-time.Hour)}) {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
