package guard

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// Caller is the client and resource owner a validated access token speaks
// for. One Caller is shared by every request that presents the same token,
// so it is immutable: accessors return copies where a slice could be
// modified.
type Caller struct {
	subject   string
	clientID  string
	scopes    []string
	issuer    string
	audience  []string
	tokenID   string
	issuedAt  time.Time
	expiresAt time.Time
	// jkt is cnf.jkt, the thumbprint of the key the token is bound to.
	jkt string
	// claims is the JWT payload or the introspection response, kept raw so
	// that the hot path never decodes claims nobody asks for.
	claims []byte
	// signInClaims are the sign-in claims decoded from claims, by
	// signInOnce, for the first route that asks.
	signInOnce   sync.Once
	signInClaims signIn
}

// Subject returns the "sub" claim: the resource owner, or the client itself
// for a client credentials grant (RFC 9068 section 2.2).
func (c *Caller) Subject() string { return c.subject }

// ClientID returns the "client_id" claim (RFC 9068 section 2.2,
// RFC 8693 section 4.3).
func (c *Caller) ClientID() string { return c.clientID }

// Scopes returns a copy of the granted scopes, split from the "scope" claim
// (RFC 9068 section 2.2.3, RFC 6749 section 3.3).
func (c *Caller) Scopes() []string { return slices.Clone(c.scopes) }

// HasScope reports whether scope was granted.
func (c *Caller) HasScope(scope string) bool { return slices.Contains(c.scopes, scope) }

// Issuer returns the "iss" claim.
func (c *Caller) Issuer() string { return c.issuer }

// Audience returns a copy of the "aud" claim as a list.
func (c *Caller) Audience() []string { return slices.Clone(c.audience) }

// TokenID returns the "jti" claim; empty for an introspected token whose
// response had none.
func (c *Caller) TokenID() string { return c.tokenID }

// IssuedAt returns the "iat" claim; zero when absent from an introspection
// response.
func (c *Caller) IssuedAt() time.Time { return c.issuedAt }

// ExpiresAt returns the "exp" claim; zero when absent from an introspection
// response.
func (c *Caller) ExpiresAt() time.Time { return c.expiresAt }

// Thumbprint returns the "cnf" claim's "jkt": the RFC 7638 SHA-256
// thumbprint of the key the token is bound to (RFC 9449 section 6.1), the
// key whose proof the request carried. It is empty for a bearer token.
func (c *Caller) Thumbprint() string { return c.jkt }

// ACR returns the "acr" claim: the authentication context class of the
// user's sign-in (OpenID Connect Core section 2, RFC 9068 section 2.2.1);
// empty when absent, as from a client credentials token. Like AMR and
// AuthTime it is read from the claims when asked, so routes that never
// ask pay nothing.
func (c *Caller) ACR() string { return c.signIn().ACR }

// AMR returns a copy of the "amr" claim: the methods the user signed in
// with (RFC 8176, for example "pwd", "otp", "hwk", "mfa"); nil when absent.
func (c *Caller) AMR() []string { return slices.Clone(c.signIn().AMR) }

// AuthTime returns the "auth_time" claim: when the user last proved a
// factor (OpenID Connect Core section 2); zero when absent.
func (c *Caller) AuthTime() time.Time { return c.signIn().AuthTime.time() }

// Claims decodes all claims into v with encoding/json: the JWT claims set
// (RFC 7519 section 4) or the introspection response (RFC 7662
// section 2.2). Use it for claims the accessors do not cover.
func (c *Caller) Claims(v any) error { return json.Unmarshal(c.claims, v) }

type callerKey struct{}

// CallerFromContext returns the Caller the middleware stored in ctx, and
// false when the request did not pass through the middleware.
func CallerFromContext(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok
}
