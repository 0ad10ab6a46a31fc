package keys

import (
	"bytes"
	"context"
	"fmt"

	"github.com/portcullis/portcullis/store"
)

// Sealed returns a KeyStore over s that keeps private keys encrypted at
// rest with ring: ListKeys and the updater see PKCS #8 DER, the store sees
// sealed blobs. A key written through it is sealed with ring.Current
// (plaintext without one); a key already stored is written back exactly as
// it was, so that only Rewrap changes how a key is kept. A stored key that
// ring cannot open fails the call with an error naming its kid, and no
// update is made. The encryption lives here rather than in the store so
// that every backend has it and stores keep opaque bytes.
func Sealed(s KeyStore, ring KeyRing) KeyStore { return sealedStore{s, ring} }

type sealedStore struct {
	store KeyStore
	ring  KeyRing
}

// ListKeys returns the keys with their private parts decrypted.
func (s sealedStore) ListKeys(ctx context.Context) ([]store.Key, error) {
	stored, err := s.store.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	return s.openAll(stored)
}

// UpdateKeys runs update on the decrypted keys and stores its result
// sealed, in the store's one transaction.
func (s sealedStore) UpdateKeys(ctx context.Context, update func([]store.Key) ([]store.Key, error)) error {
	return s.store.UpdateKeys(ctx, func(stored []store.Key) ([]store.Key, error) {
		opened, err := s.openAll(stored)
		if err != nil {
			return nil, err
		}
		next, err := update(opened)
		if err != nil {
			return nil, err
		}
		// A key the update kept is written back as it was stored.
		type was struct{ der, stored []byte }
		kept := map[string]was{}
		for i, k := range stored {
			kept[k.ID] = was{opened[i].Private, k.Private}
		}
		out := make([]store.Key, len(next))
		for i, k := range next {
			if w, ok := kept[k.ID]; ok && bytes.Equal(w.der, k.Private) {
				k.Private = w.stored
			} else if s.ring.Current != nil {
				if k.Private, err = seal(s.ring.Current, k.ID, k.Private); err != nil {
					return nil, err
				}
			}
			out[i] = k
		}
		return out, nil
	})
}

func (s sealedStore) openAll(stored []store.Key) ([]store.Key, error) {
	out := make([]store.Key, len(stored))
	for i, k := range stored {
		der, _, err := open(s.ring, k.ID, k.Private)
		if err != nil {
			return nil, err
		}
		k.Private = der
		out[i] = k
	}
	return out, nil
}

// RewrapResult lists, by kid, what Rewrap did to each key.
type RewrapResult struct {
	// Encrypted were stored in plaintext.
	Encrypted []string `json:"encrypted"`
	// Rewrapped were encrypted with ring.Previous.
	Rewrapped []string `json:"rewrapped"`
	// Unchanged were already encrypted with ring.Current.
	Unchanged []string `json:"unchanged"`
}

// Rewrap moves every key in s (the store itself, not Sealed) to
// ring.Current: plaintext keys are encrypted, keys encrypted with
// ring.Previous have their data key re-encrypted. It runs in one store
// transaction, so a key it cannot open (a key-encryption key that is not
// in ring) leaves every key as it was. Running it again changes nothing.
func Rewrap(ctx context.Context, s KeyStore, ring KeyRing) (RewrapResult, error) {
	var res RewrapResult
	if ring.Current == nil {
		return res, fmt.Errorf("rewrap keys: %w", ErrNoKEK)
	}
	err := s.UpdateKeys(ctx, func(stored []store.Key) ([]store.Key, error) {
		res = RewrapResult{Encrypted: []string{}, Rewrapped: []string{}, Unchanged: []string{}}
		out := make([]store.Key, len(stored))
		for i, k := range stored {
			der, kek, err := open(ring, k.ID, k.Private)
			switch {
			case err != nil:
				return nil, err
			case kek == nil:
				k.Private, err = seal(ring.Current, k.ID, der)
				res.Encrypted = append(res.Encrypted, k.ID)
			case kek == ring.Current:
				res.Unchanged = append(res.Unchanged, k.ID)
			default:
				k.Private, err = rewrap(ring, ring.Current, k.ID, k.Private)
				res.Rewrapped = append(res.Rewrapped, k.ID)
			}
			if err != nil {
				return nil, err
			}
			out[i] = k
		}
		return out, nil
	})
	if err != nil {
		return RewrapResult{}, fmt.Errorf("rewrap keys: %w", err)
	}
	return res, nil
}

// Plaintext returns the kids of the keys in s (the store itself) that are
// stored unencrypted, which a server with a key-encryption key reports so
// that Rewrap is run.
func Plaintext(ctx context.Context, s KeyStore) ([]string, error) {
	stored, err := s.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var out []string
	for _, k := range stored {
		if !IsEncrypted(k.Private) {
			out = append(out, k.ID)
		}
	}
	return out, nil
}
