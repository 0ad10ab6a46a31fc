package mfa_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// TestFinishLoginKinds: a ceremony's state opens only as the login it
// was begun for: a second factor's state is refused by a username-less
// sign-in and the other way round, before the response is read.
func TestFinishLoginKinds(t *testing.T) {
	sealer, err := mfa.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	wa, err := mfa.NewWebAuthn(mfa.WebAuthnConfig{RPID: "localhost", Origins: []string{"http://localhost"}, Sealer: sealer, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(webauthn.Credential{ID: []byte("cred")})
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "u", Username: "alice"}
	second, err := wa.BeginLogin(u, []store.Factor{{ID: "f", UserID: "u", Kind: store.FactorPasskey, CredentialID: []byte("cred"), Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	discoverable, err := wa.BeginLogin(store.User{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	find := func([]byte, []byte) (store.User, store.Factor, error) {
		t.Error("find called for a state of the other kind")
		return store.User{}, store.Factor{}, store.ErrNotFound
	}
	for _, tt := range []struct {
		name         string
		state        string
		discoverable bool
	}{
		{"second factor's state as a sign-in", second.State, true},
		{"sign-in's state as a second factor", discoverable.State, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if wa.Challenge(tt.state) == "" {
				t.Fatal("no challenge in the state")
			}
			_, _, _, err := wa.FinishLogin(tt.discoverable, tt.state, []byte(`{}`), find)
			if !errors.Is(err, mfa.ErrCeremony) || !strings.HasSuffix(err.Error(), ": state") {
				t.Errorf("FinishLogin = %v, want ErrCeremony refusing the state", err)
			}
		})
	}
}
