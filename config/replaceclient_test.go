package config

import (
	"bytes"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/store"
)

// TestReplaceClient checks what an update keeps of a stored client beside
// its new metadata: the secret digests while it still uses a secret, a
// generated secret when it comes to need one, none when it stops, and
// its creation time; and that the new metadata is validated.
func TestReplaceClient(t *testing.T) {
	cfg, err := Parse([]byte("issuer: https://auth.example.com\nstorage: sqlite://x.db\n"+
		"apis: [{identifier: https://api.example.com, scopes: [read]}]\n"), "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	_, hash := authserver.NewSecret()
	_, previous := authserver.NewSecret()
	withSecret := store.Client{ID: "svc", AuthMethod: store.AuthSecretBasic, SecretHash: hash, PreviousSecretHash: previous,
		PreviousSecretExpiresAt: now, GrantTypes: []string{"client_credentials"}, RegistrationTokenHash: []byte("r"), CreatedAt: created}
	public := store.Client{ID: "spa", AuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code"},
		RedirectURIs: []string{"https://spa.example.com/cb"}, CreatedAt: created}
	for _, tc := range []struct {
		name          string
		old           store.Client
		cl            Client
		wantGenerated bool
		wantHash      []byte
		wantField     string
	}{
		{name: "secret kept", old: withSecret, cl: Client{ClientID: "ignored", Name: "Service", GrantTypes: []string{"client_credentials"}, Scopes: []string{"read"}},
			wantHash: hash},
		{name: "secret generated for a public client made confidential", old: public,
			cl:            Client{TokenEndpointAuthMethod: store.AuthSecretPost, GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://spa.example.com/cb"}},
			wantGenerated: true},
		{name: "secret dropped for a confidential client made public", old: withSecret,
			cl: Client{TokenEndpointAuthMethod: store.AuthNone, GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://a.example.com/cb"}}},
		{name: "invalid metadata", old: withSecret, cl: Client{GrantTypes: []string{"client_credentials"}, Scopes: []string{"write"}},
			wantField: "scopes[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, generated, err := cfg.ReplaceClient(tc.old, tc.cl, nil, now)
			if tc.wantField != "" {
				fe := FieldErrors(err)
				if len(fe) != 1 || fe[0].Field != tc.wantField {
					t.Fatalf("err = %v, want one problem with %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if next.ID != tc.old.ID || !next.CreatedAt.Equal(created) || !next.UpdatedAt.Equal(now) || !bytes.Equal(next.RegistrationTokenHash, tc.old.RegistrationTokenHash) {
				t.Errorf("identity or times not kept: %+v", next)
			}
			if (generated != "") != tc.wantGenerated {
				t.Errorf("generated %q", generated)
			}
			switch {
			case tc.wantHash != nil:
				if !bytes.Equal(next.SecretHash, tc.wantHash) || !bytes.Equal(next.PreviousSecretHash, previous) || !next.PreviousSecretExpiresAt.Equal(now) {
					t.Errorf("secret digests not kept: %+v", next)
				}
			case tc.wantGenerated:
				if !bytes.Equal(next.SecretHash, authserver.HashSecret(generated)) {
					t.Error("the stored digest is not the generated secret's")
				}
			default:
				if next.SecretHash != nil || next.PreviousSecretHash != nil {
					t.Errorf("a public client keeps secret digests: %+v", next)
				}
			}
		})
	}
}
