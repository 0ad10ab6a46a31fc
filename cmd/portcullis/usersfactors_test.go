package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// TestCLIUsersFactors: users factors lists a user's factors, by username
// or ID, with their recovery codes left and never a secret; users
// reset-factors removes them and the codes, for that user alone, and is
// audited; an unknown user is refused by both.
func TestCLIUsersFactors(t *testing.T) {
	conf, st := revokeFixture(t)
	ctx := context.Background()
	var ada, bob userView
	cliJSON(t, &ada, "users", "add", "--config", conf, "--username", "ada")
	cliJSON(t, &bob, "users", "add", "--config", conf, "--username", "bob")
	now := time.Now().Truncate(time.Second)
	for _, f := range []store.Factor{
		{ID: "f-key", UserID: ada.Sub, Kind: store.FactorPasskey, Name: "YubiKey", CredentialID: []byte("cred"),
			Data: []byte("pk-secret"), CreatedAt: now.Add(-time.Hour), LastUsedAt: now},
		{ID: "f-totp", UserID: ada.Sub, Kind: store.FactorTOTP, Name: "Phone", Data: []byte("totp-secret"), CreatedAt: now},
		{ID: "f-bob", UserID: bob.Sub, Kind: store.FactorTOTP, Name: "Phone", Data: []byte("totp-secret"), CreatedAt: now},
	} {
		if err := st.CreateFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ReplaceRecoveryCodes(ctx, ada.Sub, []string{"h1", "h2"}, now); err != nil {
		t.Fatal(err)
	}

	for _, who := range []string{"ada", ada.Sub} {
		var listed registry.Factors
		cliJSON(t, &listed, "users", "factors", "--config", conf, who)
		if len(listed.Items) != 2 || listed.Items[0].ID != "f-key" || listed.Items[1].ID != "f-totp" || listed.RecoveryCodesLeft != 2 ||
			listed.Items[0].LastUsedAt == nil || listed.Items[1].LastUsedAt != nil {
			t.Fatalf("factors of %s: %+v", who, listed)
		}
	}
	table := cli(t, nil, "users", "factors", "--config", conf, "ada")
	if !hasRow(table, "f-key", "YubiKey") || !hasRow(table, "f-totp", "never") ||
		!strings.Contains(table, "recovery codes left: 2") || strings.Contains(table, "secret") {
		t.Errorf("the table:\n%s", table)
	}
	for _, args := range [][]string{{"factors"}, {"reset-factors"}} {
		if out := cliFails(t, nil, append(append([]string{"users"}, args...), "--config", conf, "nobody")...); !strings.Contains(out, `no user with username or id "nobody"`) {
			t.Errorf("users %s of an unknown user: %s", args[0], out)
		}
	}

	var reset struct {
		Removed int `json:"removed"`
	}
	cliJSON(t, &reset, "users", "reset-factors", "--config", conf, "ada")
	if reset.Removed != 2 {
		t.Errorf("reset-factors removed %d, want 2", reset.Removed)
	}
	if left, _ := st.ListFactors(ctx, ada.Sub); len(left) != 0 {
		t.Errorf("factors left: %+v", left)
	}
	if n, _ := st.CountRecoveryCodes(ctx, ada.Sub); n != 0 {
		t.Errorf("%d recovery codes left", n)
	}
	if left, _ := st.ListFactors(ctx, bob.Sub); len(left) != 1 {
		t.Errorf("bob's factors changed: %+v", left)
	}
	if out := cli(t, nil, "users", "reset-factors", "--config", conf, ada.Sub); !strings.Contains(out, "removed 0 factors of ada") {
		t.Errorf("a second reset by ID: %s", out)
	}
	var events []struct {
		Subject string // store.AuditEvent has no JSON names
		Detail  map[string]any
	}
	cliJSON(t, &events, "audit", "list", "--config", conf, "--type", "factors_reset")
	if len(events) != 2 || events[1].Subject != ada.Sub || events[1].Detail["removed"] != float64(2) {
		t.Errorf("factors_reset events %+v", events)
	}
}

// TestCLIClientRequireMFA: --require-mfa sets require_mfa on clients
// create and clients update changes it.
func TestCLIClientRequireMFA(t *testing.T) {
	conf, st := revokeFixture(t)
	var c createdClient
	cliJSON(t, &c, "clients", "create", "--config", conf, "--id", "web", "--redirect-uris", "https://app.example.com/cb",
		"--scopes", "openid", "--require-mfa")
	if !c.RequireMFA {
		t.Fatalf("created %+v, want require_mfa", c)
	}
	cli(t, nil, "clients", "update", "--config", conf, "web", "--require-mfa=false")
	if got, err := st.GetClient(context.Background(), "web"); err != nil || got.RequireMFA {
		t.Fatalf("after update: %+v, %v; want require_mfa off", got, err)
	}
	if out := cliFails(t, nil, "clients", "update", "--config", conf, "web", "--require-mfa=maybe"); !strings.Contains(out, "require-mfa") {
		t.Errorf("a bad --require-mfa: %s", out)
	}
}
