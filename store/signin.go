package store

import (
	"cmp"
	"slices"
	"time"
)

// AuthRequest is a validated authorization request (RFC 6749 section 4.1.1)
// waiting for the user, or pushed by a client (RFC 9126).
type AuthRequest struct {
	ID          string `json:"id"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	// RedirectURIGiven records whether the request named its redirect
	// URI, which obliges the token request to repeat it (RFC 6749 section
	// 4.1.3).
	RedirectURIGiven bool     `json:"redirect_uri_given,omitempty"`
	Scopes           []string `json:"scopes"`
	State            string   `json:"state,omitempty"`
	Nonce            string   `json:"nonce,omitempty"`
	CodeChallenge    string   `json:"code_challenge"`
	Prompt           []string `json:"prompt,omitempty"`
	MaxAge           *int64   `json:"max_age,omitempty"`
	LoginHint        string   `json:"login_hint,omitempty"`
	// Connector is the upstream identity provider (connectors[].id) the
	// request's connector parameter chose, which skips the choice on the
	// sign-in page; empty lets the person choose.
	Connector string `json:"connector,omitempty"`
	// ACRValues are the requested authentication context classes, in
	// order of preference (OpenID Connect Core section 3.1.2.1).
	ACRValues []string `json:"acr_values,omitempty"`
	Resources []string `json:"resources,omitempty"`
	// DPoPJKT, when set, binds the code to a DPoP key (RFC 9449 section
	// 10): the dpop_jkt parameter, or the key of the DPoP proof sent to the
	// PAR endpoint (section 10.1). Kept in its own column.
	DPoPJKT string `json:"-"`
	// BrowserHash binds the request to the browser that started it (a
	// digest of its CSRF cookie); empty for pushed requests not yet used.
	BrowserHash string    `json:"browser_hash,omitempty"`
	Pushed      bool      `json:"pushed,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Session is a signed-in browser (single sign-on).
type Session struct {
	// IDHash is the SHA-256 of the session cookie's value.
	IDHash string `json:"-"`
	// SID identifies the session in ID tokens (the sid claim) and in the
	// grants issued in it; random, unrelated to the cookie.
	SID      string    `json:"sid,omitempty"`
	UserID   string    `json:"user_id"`
	AuthTime time.Time `json:"auth_time"`
	AMR      []string  `json:"amr"`
	// ACR is the authentication context class the sign-in reached
	// (mfa.Level of AMR).
	ACR string `json:"acr,omitempty"`
	// Method is how the session signed in: "password", "passkey" or
	// "connector:" and the connector's ID; a client that does not offer
	// that connector asks for a new sign-in. Empty in sessions older than
	// the field.
	Method    string    `json:"method,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SortSessions orders sessions as ListSessions returns them: the most
// recent sign-in first, then by SID, so that the order is stable.
func SortSessions(ss []Session) {
	slices.SortFunc(ss, func(a, b Session) int {
		return cmp.Or(b.AuthTime.Compare(a.AuthTime), cmp.Compare(a.SID, b.SID))
	})
}

// AuthCode is an issued authorization code, kept by the digest of its value.
type AuthCode struct {
	Hash        string `json:"-"`
	GrantID     string `json:"grant_id"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	// RedirectURIGiven: the token request must repeat RedirectURI.
	RedirectURIGiven bool      `json:"redirect_uri_given,omitempty"`
	CodeChallenge    string    `json:"code_challenge"`
	UserID           string    `json:"user_id"`
	Scopes           []string  `json:"scopes"`
	Resources        []string  `json:"resources,omitempty"`
	Nonce            string    `json:"nonce,omitempty"`
	AuthTime         time.Time `json:"auth_time"`
	AMR              []string  `json:"amr"`
	// ACR is the acr claim of the tokens the code yields.
	ACR string `json:"acr,omitempty"`
	// SessionID is the SID of the session the code was issued in.
	SessionID string `json:"sid,omitempty"`
	// DPoPJKT, when set, is the thumbprint of the DPoP key the token
	// request must prove (RFC 9449 section 10). Kept in its own column.
	DPoPJKT   string    `json:"-"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Grant is one authorization of a client by a user: the code, the refresh
// token family and the access tokens issued from them.
type Grant struct {
	ID       string
	UserID   string
	ClientID string
	// SessionID is the SID of the sign-on session the grant was issued in.
	SessionID string
	// Offline records that the user authorized offline_access: the grant
	// outlives the session (OpenID Connect Core section 11).
	Offline bool
	// CreatedAt is when the user authorized the grant. A cutoff for its
	// client, user or both whose NotBefore is later covers the grant:
	// nothing more is issued from it, even when it was created while the
	// revocation ran and so escaped it.
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is when the grant was revoked; zero if it was not. Set
	// by the store, ignored by CreateGrant.
	RevokedAt time.Time
}

// GrantFilter selects grants for ListGrants. Zero fields select
// everything.
type GrantFilter struct {
	UserID   string
	ClientID string
	// Live selects only grants neither revoked nor expired at Now (zero
	// means the current time).
	Live bool
	Now  time.Time
	// BeforeCreated and BeforeID are the cursor: the previous page's last
	// grant (its CreatedAt and ID, as the store returned them). Both zero
	// means from the newest.
	BeforeCreated time.Time
	BeforeID      string
	// Limit bounds the page; zero means DefaultPageLimit, and it is at
	// most MaxPageLimit.
	Limit int
}

// LiveAt is the time Live is decided at: Now, or the current time.
func (f GrantFilter) LiveAt() time.Time {
	if f.Now.IsZero() {
		return time.Now()
	}
	return f.Now
}

// HasCursor reports whether f continues from a previous page.
func (f GrantFilter) HasCursor() bool { return !f.BeforeCreated.IsZero() || f.BeforeID != "" }

// RefreshToken is an issued refresh token, kept by the digest of its value.
// Tokens rotated from one another share a GrantID: their family.
type RefreshToken struct {
	Hash      string    `json:"-"`
	GrantID   string    `json:"grant_id"`
	ClientID  string    `json:"client_id"`
	UserID    string    `json:"user_id"`
	Scopes    []string  `json:"scopes"`
	Resources []string  `json:"resources,omitempty"`
	AuthTime  time.Time `json:"auth_time"`
	AMR       []string  `json:"amr"`
	// ACR is the acr claim of the tokens the family yields.
	ACR string `json:"acr,omitempty"`
	// SessionID is the SID of the session the grant was issued in, for
	// the ID tokens refreshes mint.
	SessionID string `json:"sid,omitempty"`
	// ExpiresAt is the idle expiry: a token unused until then is dead.
	ExpiresAt time.Time `json:"expires_at"`
	// FamilyExpiresAt is the absolute expiry of the whole family.
	FamilyExpiresAt time.Time `json:"family_expires_at"`
	// JKT, when set, binds the token to a DPoP key (RFC 9449 section 5): a
	// public client's refresh token is used only with a proof of that key,
	// and its successors keep the binding. Kept in its own column.
	JKT string `json:"-"`
	// RotatedAt is when the token was exchanged for its successor.
	RotatedAt time.Time `json:"-"`
	// Successor is the encrypted token response that replaced this token,
	// kept for the retry grace period; only the holder of this token can
	// decrypt it.
	Successor []byte    `json:"-"`
	RevokedAt time.Time `json:"-"`
}
