package mfa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portcullis/portcullis/store"
)

// BeginLogin starts an assertion: for u's passkeys (factors) as a second
// factor, or, with a zero u and no factors, for any discoverable
// credential (a username-less passkey sign-in, which requires user
// verification: the passkey is then both factors).
func (w *WebAuthn) BeginLogin(u store.User, factors []store.Factor) (Ceremony, error) {
	var (
		assertion *protocol.CredentialAssertion
		session   *webauthn.SessionData
		err       error
	)
	kind := kindLoginSecond
	if u.ID == "" {
		kind = kindLoginDiscoverable
		if len(factors) > 0 {
			return Ceremony{}, errors.New("mfa: webauthn login: factors without their user")
		}
		assertion, session, err = w.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	} else {
		var a user
		if a, err = newUser(u, factors); err != nil {
			return Ceremony{}, err
		}
		if len(a.creds) == 0 {
			return Ceremony{}, errors.New("mfa: webauthn login: the user has no passkey")
		}
		assertion, session, err = w.rp.BeginLogin(a, webauthn.WithUserVerification(protocol.VerificationPreferred))
	}
	if err != nil {
		return Ceremony{}, fmt.Errorf("mfa: webauthn login: %w", err)
	}
	return w.ceremony(kind, assertion, session)
}

// FinishLogin checks an assertion against state, which must be of the
// ceremony asked for: a username-less sign-in's when discoverable, a
// second factor's otherwise (BeginLogin without or with a user); the
// other's state is refused (ErrCeremony). find returns the factor
// of the credential the response names and its user (for a username-less
// sign-in, by the user handle, which is the user's ID). It returns the
// factor with its counters updated (to store with UpdateFactor), and the
// amr methods proved: hwk or swk, user, and mfa when the authenticator
// verified the user.
//
// An error of find is returned wrapped; store.ErrNotFound (an unknown
// credential, perhaps removed since) is also ErrCeremony. A signature
// counter that did not grow (WebAuthn Level 3 section 6.1.1: a cloned
// authenticator) is refused, not merely noted.
func (w *WebAuthn) FinishLogin(discoverable bool, state string, response []byte, find func(credentialID []byte, userHandle []byte) (store.User, store.Factor, error)) (store.User, store.Factor, []string, error) {
	kind := kindLoginSecond
	if discoverable {
		kind = kindLoginDiscoverable
	}
	session, err := w.open(kind, state)
	if err != nil {
		return store.User{}, store.Factor{}, nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return store.User{}, store.Factor{}, nil, refusedBy("response", err)
	}
	var (
		u       store.User
		f       store.Factor
		findErr error
	)
	lookup := func(credentialID, userHandle []byte) (webauthn.User, error) {
		var a user
		u, f, findErr = find(credentialID, userHandle)
		if findErr == nil && (f.Kind != store.FactorPasskey || f.UserID != u.ID || !bytes.Equal(f.CredentialID, credentialID)) {
			findErr = refused("credential")
		}
		if findErr == nil {
			a, findErr = newUser(u, []store.Factor{f})
		}
		if findErr != nil {
			return nil, findErr
		}
		return a, nil
	}
	var cred *webauthn.Credential
	if len(session.UserID) == 0 {
		_, cred, err = w.rp.ValidatePasskeyLogin(lookup, session, parsed)
	} else {
		cred, err = w.secondFactor(session, parsed, lookup)
	}
	switch {
	case errors.Is(findErr, store.ErrNotFound):
		return store.User{}, store.Factor{}, nil, fmt.Errorf("%w: unknown credential: %w", ErrCeremony, findErr)
	case findErr != nil && !errors.Is(findErr, ErrCeremony):
		return store.User{}, store.Factor{}, nil, fmt.Errorf("mfa: webauthn login: find credential: %w", findErr)
	case findErr != nil:
		return store.User{}, store.Factor{}, nil, findErr
	case errors.Is(err, ErrCeremony):
		return store.User{}, store.Factor{}, nil, err
	case err != nil:
		return store.User{}, store.Factor{}, nil, refusedBy("assertion", err)
	case cred.Authenticator.CloneWarning:
		return store.User{}, store.Factor{}, nil, refused("signature counter")
	}
	if f.Data, err = json.Marshal(cred); err != nil {
		return store.User{}, store.Factor{}, nil, fmt.Errorf("mfa: webauthn login: %w", err)
	}
	f.LastUsedAt = w.now()
	return u, f, amr(parsed.Response.AuthenticatorData.Flags), nil
}

// secondFactor checks an assertion of a ceremony begun for one user: the
// credential must be one the ceremony allowed, and its owner that user.
// The library's own allow-list check wants the user's every credential,
// where find gives the one named; this check is the same rule (WebAuthn
// Level 3 section 7.2 step 5) on what is at hand.
func (w *WebAuthn) secondFactor(session webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData, lookup webauthn.DiscoverableUserHandler) (*webauthn.Credential, error) {
	if !slices.ContainsFunc(session.AllowedCredentialIDs, func(id []byte) bool { return bytes.Equal(id, parsed.RawID) }) {
		return nil, refused("credential not allowed")
	}
	a, err := lookup(parsed.RawID, parsed.Response.UserHandle)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(a.WebAuthnID(), session.UserID) {
		return nil, refused("user")
	}
	session.AllowedCredentialIDs = nil
	return w.rp.ValidateLogin(a, session, parsed)
}
