package config

import (
	"strings"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/store"
)

// ReplaceClient validates cl as the new metadata of old, a stored client
// (an update through the CLI or the management API), with NewClient's
// rules, and returns the client as the store keeps it. What the server
// keeps beside the metadata stays: the secret digests, the registration
// token, created_at. A client that moves to a secret auth method without
// having a secret gets one, returned to be shown once; one that moves
// away from secrets loses its digests.
func (c *Config) ReplaceClient(old store.Client, cl Client, stored []store.API, now time.Time) (next store.Client, generated string, err error) {
	cl.ClientID = old.ID
	secret := store.UsesSecret(cl.TokenEndpointAuthMethod)
	if secret {
		if len(old.SecretHash) == 0 {
			generated, _ = authserver.NewSecret()
			cl.ClientSecret = generated
		} else {
			// The rules require a secret; the digest kept below stands
			// for it.
			cl.ClientSecret = strings.Repeat("k", MinSecretLength)
		}
	}
	next, err = c.NewClient(cl, stored)
	if err != nil {
		return old, "", err
	}
	if generated == "" && secret {
		next.SecretHash, next.PreviousSecretHash, next.PreviousSecretExpiresAt = old.SecretHash, old.PreviousSecretHash, old.PreviousSecretExpiresAt
	}
	next.RegistrationTokenHash, next.CreatedAt, next.UpdatedAt = old.RegistrationTokenHash, old.CreatedAt, now.UTC()
	return next, generated, nil
}
