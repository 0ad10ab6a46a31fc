// Package connectors owns upstream identity: the providers people already
// sign in with (an OpenID Connect provider, a GitHub-style OAuth 2.0
// provider, an LDAP directory), behind the two small interfaces the
// sign-in pages call, and the mapping of what an upstream says of a person
// into an Identity. Subpackages implement one kind each (oidc, github,
// ldap); none of them knows Portcullis's users, sessions or pages.
//
// Upstream tokens never leave a connector: Identity carries claims only.
package connectors

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// Identity is who an upstream says signed in.
type Identity struct {
	// Subject is the upstream's stable identifier of the person (the
	// ID token's sub, GitHub's numeric user ID, the entry's DN or a
	// configured unique attribute). Never empty.
	Subject string
	// Username is a preferred username, Email and EmailVerified the
	// address and whether the upstream verified it, Name a display name.
	Username, Email, Name string
	EmailVerified         bool
	// Groups are the upstream's group names, as configured claim or
	// attribute values (GitHub: "org" and "org:team").
	Groups []string
	// ACR and AMR are the upstream's acr and amr claims, when it gives
	// them (OpenID Connect only).
	ACR string
	AMR []string
	// AuthTime is when the person last authenticated at the upstream (the
	// verified ID token's auth_time, OpenID Connect Core section 2); zero
	// when the upstream does not say (GitHub, LDAP).
	AuthTime time.Time
}

// Redirect is a connector that sends the browser to the upstream and
// back (OpenID Connect, OAuth 2.0).
type Redirect interface {
	// Start returns the upstream authorization URL for one sign-in that
	// returns to callback, and the state to keep for Finish (the caller
	// seals it: it holds the PKCE verifier and nonce). opts are passed on
	// where the upstream supports them.
	Start(ctx context.Context, callback string, opts StartOptions) (authURL string, st State, err error)
	// Finish checks the upstream's answer at callback (its query) against
	// st and returns the identity. Errors wrap ErrUpstream (the upstream
	// failed or cannot be reached) or ErrRefused (its answer is not
	// acceptable: wrong issuer, audience, nonce, state, signature...).
	Finish(ctx context.Context, callback string, st State, query url.Values) (Identity, error)
}

// StartOptions are what the downstream authorization request asks of the
// upstream sign-in (OpenID Connect Core section 3.1.2.1).
type StartOptions struct {
	// LoginHint, when not empty, suggests who signs in.
	LoginHint string
	// Prompt, when "login", asks the upstream to authenticate the person
	// again rather than reuse its session.
	Prompt string
	// MaxAge, when not nil, is the oldest authentication in seconds the
	// upstream may reuse.
	MaxAge *int64
}

// State is what a redirect sign-in keeps between Start and Finish.
type State struct {
	// State is the state parameter sent upstream; Nonce the OpenID
	// Connect nonce; Verifier the PKCE code verifier (RFC 7636).
	State, Nonce, Verifier string
}

// Password is a connector that checks a username and password itself
// (LDAP): Portcullis's own sign-in page collects them.
type Password interface {
	// Login returns the identity of username when password is right,
	// ok false when the user is unknown or the password wrong (the
	// caller cannot tell which, by design), and an error wrapping
	// ErrUpstream when the directory cannot answer.
	Login(ctx context.Context, username, password string) (id Identity, ok bool, err error)
}

// Errors a connector's failures wrap, so that the sign-in page can tell an
// outage (show the error page with the request ID, keep password sign-in
// working) from a refused answer (audit it as a possible attack).
var (
	ErrUpstream = errors.New("connectors: upstream unavailable")
	ErrRefused  = errors.New("connectors: upstream answer refused")
)
