package registry

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// Grant is one authorization a user gave a client, from which its
// refresh and access tokens come; revoking it revokes them all.
type Grant struct {
	ID       string `json:"id"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	// Offline is set when the user authorized offline_access: the grant
	// outlives the sign-on session.
	Offline   bool      `json:"offline"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Revocation is the body of POST /admin/v1/revocations: exactly one of
// JTI (one access token), or ClientID and/or Subject (everything issued to
// a client, a user, or a user at a client, as `portcullis tokens revoke`
// does).
type Revocation struct {
	ClientID string `json:"client_id,omitempty"`
	Subject  string `json:"sub,omitempty"`
	JTI      string `json:"jti,omitempty"`
	// ExpiresAt is when the token JTI names expires, so its revocation
	// can be forgotten then; zero means the longest access token
	// lifetime from now.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// RevocationResult is the answer to a Revocation.
type RevocationResult struct {
	// GrantsRevoked counts the grants a client or user revocation ended.
	GrantsRevoked int `json:"grants_revoked"`
	// NotBefore is the cutoff: tokens issued before it are refused. Zero
	// for a JTI.
	NotBefore time.Time `json:"not_before,omitzero"`
}

// GrantFromStore is g as the management API shows it.
func GrantFromStore(g store.Grant) Grant {
	return Grant{ID: g.ID, Subject: g.UserID, ClientID: g.ClientID, Offline: g.Offline,
		CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt, RevokedAt: g.RevokedAt}
}
