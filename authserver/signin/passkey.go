package signin

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// errStaleCounter refuses an assertion whose factor changed since it was
// read: another assertion of the same credential was accepted meanwhile,
// so this one's signature counter is not newer than the stored one.
var errStaleCounter = errors.New("passkey used concurrently: stale signature counter")

// errNotOffered refuses an assertion by a credential the ceremony did not
// offer (another user's, or a disallowed kind).
var errNotOffered = errors.New("passkey not offered by this sign-in")

// assertion checks a passkey assertion posted with its ceremony state:
// the state's challenge is spent once (store.UseOnce), the response is
// checked (mfa.WebAuthn.FinishLogin, of a username-less sign-in's state
// when discoverable, a second factor's otherwise, with pick choosing the factor of the
// credential it names), and the factor's new counters are stored, unless
// it changed meanwhile. A refused assertion is an error wrapping
// mfa.ErrCeremony, store.ErrReplay, errNotOffered or errStaleCounter; any
// other error is the store's.
func (s *Server) assertion(r *http.Request, discoverable bool, pick func(store.Factor) (store.User, error)) (store.User, store.Factor, []string, error) {
	ctx := r.Context()
	state, response := r.PostFormValue("state"), r.PostFormValue("response")
	if !s.allowed(store.FactorPasskey) {
		return store.User{}, store.Factor{}, nil, fmt.Errorf("%w: passkeys are not accepted", mfa.ErrCeremony)
	}
	wa := s.cfg.MFA.WebAuthn
	challenge := wa.Challenge(state)
	if challenge == "" || response == "" {
		return store.User{}, store.Factor{}, nil, fmt.Errorf("%w: no ceremony state or response", mfa.ErrCeremony)
	}
	if err := s.store.UseOnce(ctx, "webauthn:"+challenge, s.cfg.Now().Add(s.cfg.MFA.CeremonyTimeout)); err != nil {
		return store.User{}, store.Factor{}, nil, fmt.Errorf("spend challenge: %w", err)
	}
	var old store.Factor
	var storeErr error
	u, f, amr, err := wa.FinishLogin(discoverable, state, []byte(response), func(credentialID, userHandle []byte) (store.User, store.Factor, error) {
		f, err := s.store.GetFactorByCredential(ctx, credentialID)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				storeErr = err
			}
			return store.User{}, store.Factor{}, fmt.Errorf("find passkey: %w", err)
		}
		if f.Kind != store.FactorPasskey || !s.allowed(f.Kind) || (len(userHandle) > 0 && string(userHandle) != f.UserID) {
			return store.User{}, store.Factor{}, errNotOffered
		}
		u, err := pick(f)
		if err != nil {
			return store.User{}, store.Factor{}, err
		}
		old = f
		return u, f, nil
	})
	if storeErr != nil {
		return store.User{}, store.Factor{}, nil, fmt.Errorf("find passkey: %w", storeErr)
	}
	if err != nil {
		if !errors.Is(err, mfa.ErrCeremony) && !errors.Is(err, errNotOffered) {
			err = fmt.Errorf("%w: %w", mfa.ErrCeremony, err)
		}
		return store.User{}, store.Factor{}, nil, err
	}
	now := s.cfg.Now()
	err = s.store.UpdateFactor(ctx, f.UserID, f.ID, func(cur *store.Factor) error {
		if !bytes.Equal(cur.Data, old.Data) {
			return errStaleCounter
		}
		cur.Data, cur.LastUsedAt = f.Data, now
		return nil
	})
	if err != nil && !errors.Is(err, errStaleCounter) {
		return store.User{}, store.Factor{}, nil, fmt.Errorf("save passkey counters: %w", err)
	}
	return u, f, amr, err
}

// refusedAssertion reports whether err is a refused assertion rather
// than a failure of the store.
func refusedAssertion(err error) bool {
	return errors.Is(err, mfa.ErrCeremony) || errors.Is(err, store.ErrReplay) ||
		errors.Is(err, errNotOffered) || errors.Is(err, errStaleCounter)
}

// provePasskey checks a passkey assertion as u's second factor: the
// credential must be one of u's passkeys offered by the page.
func (s *Server) provePasskey(r *http.Request, u store.User, factors []store.Factor) factorProof {
	_, f, amr, err := s.assertion(r, false, func(f store.Factor) (store.User, error) {
		if !slices.ContainsFunc(factors, func(g store.Factor) bool { return g.ID == f.ID && g.UserID == u.ID }) {
			return store.User{}, errNotOffered
		}
		return u, nil
	})
	if refusedAssertion(err) {
		return refused(store.FactorPasskey, "passkey refused", http.StatusBadRequest, "The passkey could not be verified. Try again.")
	}
	if err != nil {
		return factorProof{err: err}
	}
	return factorProof{amr: amr, kind: store.FactorPasskey, factorID: f.ID}
}
