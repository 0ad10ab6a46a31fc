package mfa

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portcullis/portcullis/store"
)

// BeginRegistration starts registering a new passkey for u, excluding the
// credentials of existing (its passkey factors), asking for a discoverable
// credential and user verification when available (WebAuthn Level 3
// section 5.4.4), and no attestation: which authenticator model it is
// decides nothing here, and asking would add a consent prompt.
func (w *WebAuthn) BeginRegistration(u store.User, existing []store.Factor) (Ceremony, error) {
	if u.ID == "" {
		return Ceremony{}, errors.New("mfa: webauthn registration: no user")
	}
	a, err := newUser(u, existing)
	if err != nil {
		return Ceremony{}, err
	}
	creation, session, err := w.rp.BeginRegistration(a,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			UserVerification:   protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExclusions(webauthn.Credentials(a.creds).CredentialDescriptors()),
	)
	if err != nil {
		return Ceremony{}, fmt.Errorf("mfa: webauthn registration: %w", err)
	}
	return w.ceremony(kindRegistration, creation, session)
}

// FinishRegistration checks the authenticator's response (JSON of a
// PublicKeyCredential) against state and returns the new factor, unsaved.
// A registration proves no methods (amr): it shows a key the account did
// not have, so only a later assertion of it counts.
// Its Data is the JSON of the webauthn.Credential: the public key, the
// signature counter and the flags, none of them secret.
func (w *WebAuthn) FinishRegistration(u store.User, id, name, state string, response []byte) (store.Factor, error) {
	session, err := w.open(kindRegistration, state)
	if err != nil {
		return store.Factor{}, err
	}
	if u.ID == "" || string(session.UserID) != u.ID {
		return store.Factor{}, refused("user")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return store.Factor{}, refusedBy("response", err)
	}
	cred, err := w.rp.CreateCredential(user{u: u}, session, parsed)
	if err != nil {
		return store.Factor{}, refusedBy("attestation", err)
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return store.Factor{}, fmt.Errorf("mfa: webauthn registration: %w", err)
	}
	return store.Factor{
		ID:           id,
		UserID:       u.ID,
		Kind:         store.FactorPasskey,
		Name:         name,
		CredentialID: cred.ID,
		Data:         data,
		CreatedAt:    w.now(),
	}, nil
}
