package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// clientFlags are the flags of a client's metadata, shared by clients
// create and clients update: one flag per field of registry.Client (but
// client_id and client_secret), named as the YAML key with dashes. Only
// the flags given change a client; config.NewClient then validates the
// result as it does the file's clients.
type clientFlags struct {
	fs                                                 *pflag.FlagSet
	name, method, jwksFile, jwksURI, assertionAudience string
	appType, idTokenAlg, defaultAudience, rateLimit    string
	grants, scopes, redirects, postLogout              []string
	skipConsent, requirePAR, introspectAny, dpopBound  bool
	requireMFA                                         bool
	accessTTL, idTTL, refreshIdleTTL, refreshMaxTTL    time.Duration
	rateBurst                                          int
}

// addClientFlags registers the metadata flags on fs.
func addClientFlags(fs *pflag.FlagSet) *clientFlags {
	f := &clientFlags{fs: fs}
	fs.StringVar(&f.name, "name", "", "client_name: the name people see on the consent page")
	fs.StringVar(&f.method, "auth-method", "", "token_endpoint_auth_method: client_secret_basic (the default), client_secret_post, private_key_jwt, or none for a public client (a single-page or native app, PKCE alone)")
	fs.StringSliceVar(&f.grants, "grant-types", nil, "grant_types (default: authorization_code,refresh_token with --redirect-uris, else client_credentials)")
	fs.StringSliceVar(&f.scopes, "scopes", nil, "scopes the client may be granted")
	fs.StringSliceVar(&f.redirects, "redirect-uris", nil, "redirect_uris, matched exactly (required with authorization_code): https, or http on a loopback host for native apps")
	fs.StringSliceVar(&f.postLogout, "post-logout-redirect-uris", nil, "post_logout_redirect_uris: where logout may return to")
	fs.StringVar(&f.appType, "application-type", "", "application_type: web (the default) or native (loopback redirect URIs match any port, RFC 8252)")
	fs.StringVar(&f.jwksFile, "jwks", "", "file holding the client's public keys as a JWK Set (private_key_jwt)")
	fs.StringVar(&f.jwksURI, "jwks-uri", "", "jwks_uri: where the client publishes its keys (private_key_jwt)")
	fs.StringVar(&f.assertionAudience, "assertion-audience", "", "issuer (the default), or token_endpoint to also accept the token endpoint URL as the aud of the client's assertions (private_key_jwt)")
	fs.BoolVar(&f.skipConsent, "skip-consent", false, "skip_consent: do not ask users to consent (confidential web clients only)")
	fs.BoolVar(&f.requireMFA, "require-mfa", false, "require_mfa: every sign-in to the client proves a second factor or a passkey; a user without one enrols one first")
	fs.BoolVar(&f.requirePAR, "require-par", false, "require_pushed_authorization_requests: refuse authorization requests not pushed first (RFC 9126)")
	fs.StringVar(&f.idTokenAlg, "id-token-alg", "", "id_token_signed_response_alg (default RS256)")
	fs.StringVar(&f.defaultAudience, "default-audience", "", "single or all: whether a token requested without resource may be for several APIs (default: the file's default_audience)")
	fs.BoolVar(&f.introspectAny, "introspect-any", false, "let the client introspect every token, as a gateway in front of several APIs must")
	fs.BoolVar(&f.dpopBound, "dpop-bound-access-tokens", false, "require a DPoP proof (RFC 9449) in every token request of the client, so its access tokens are all bound to its key")
	fs.DurationVar(&f.accessTTL, "access-token-ttl", 0, "cap on the lifetime of the client's access tokens (0: none of its own)")
	fs.DurationVar(&f.idTTL, "id-token-ttl", 0, "cap on the lifetime of the client's ID tokens (0: none of its own)")
	fs.DurationVar(&f.refreshIdleTTL, "refresh-token-idle-ttl", 0, "how long unused refresh tokens live (0: the file's)")
	fs.DurationVar(&f.refreshMaxTTL, "refresh-token-max-ttl", 0, "absolute lifetime of refresh token families (0: the file's)")
	fs.StringVar(&f.rateLimit, "rate-limit", "", "rate_limit of the client's token requests as RATE/PERIOD (e.g. 100/1m), 0 to exempt it, or default for rate_limits.token")
	fs.IntVar(&f.rateBurst, "rate-limit-burst", 0, "burst of --rate-limit (0: the rate)")
	return f
}

// changed reports whether the flag name was given.
func (f *clientFlags) changed(name string) bool { return f.fs.Changed(name) }

// apply sets the fields of cl whose flags were given.
func (f *clientFlags) apply(cl *registry.Client) error {
	setIf(f, "name", &cl.Name, f.name)
	setIf(f, "auth-method", &cl.TokenEndpointAuthMethod, f.method)
	setIf(f, "grant-types", &cl.GrantTypes, f.grants)
	setIf(f, "scopes", &cl.Scopes, f.scopes)
	setIf(f, "redirect-uris", &cl.RedirectURIs, f.redirects)
	setIf(f, "post-logout-redirect-uris", &cl.PostLogoutRedirectURIs, f.postLogout)
	setIf(f, "application-type", &cl.ApplicationType, f.appType)
	setIf(f, "assertion-audience", &cl.AssertionAudience, f.assertionAudience)
	setIf(f, "skip-consent", &cl.SkipConsent, f.skipConsent)
	setIf(f, "require-mfa", &cl.RequireMFA, f.requireMFA)
	setIf(f, "require-par", &cl.RequirePAR, f.requirePAR)
	setIf(f, "id-token-alg", &cl.IDTokenSignedResponseAlg, f.idTokenAlg)
	setIf(f, "default-audience", &cl.DefaultAudience, f.defaultAudience)
	setIf(f, "dpop-bound-access-tokens", &cl.DPoPBoundAccessTokens, f.dpopBound)
	setIf(f, "access-token-ttl", &cl.AccessTokenTTL, registry.Duration(f.accessTTL))
	setIf(f, "id-token-ttl", &cl.IDTokenTTL, registry.Duration(f.idTTL))
	setIf(f, "refresh-token-idle-ttl", &cl.RefreshTokenIdleTTL, registry.Duration(f.refreshIdleTTL))
	setIf(f, "refresh-token-max-ttl", &cl.RefreshTokenMaxTTL, registry.Duration(f.refreshMaxTTL))
	if f.changed("introspect-any") {
		cl.Introspect = ""
		if f.introspectAny {
			cl.Introspect = "any"
		}
	}
	// A client has its keys in one place: giving one drops the other.
	if f.changed("jwks-uri") {
		cl.JWKSURI, cl.JWKS = f.jwksURI, nil
	}
	if f.changed("jwks") {
		cl.JWKS, cl.JWKSURI = nil, ""
		if f.jwksFile != "" {
			set, err := readJWKS(f.jwksFile)
			if err != nil {
				return err
			}
			cl.JWKS = set
		}
	}
	if f.changed("rate-limit") || f.changed("rate-limit-burst") {
		l, err := parseRateLimit(f.rateLimit, f.rateBurst, cl.RateLimit)
		if err != nil {
			return err
		}
		cl.RateLimit = l
	}
	if !store.UsesSecret(cl.TokenEndpointAuthMethod) {
		cl.ClientSecret = ""
	}
	return nil
}

// setIf sets *field to v when the flag name was given.
func setIf[T any](f *clientFlags, name string, field *T, v T) {
	if f.changed(name) {
		*field = v
	}
}

// readJWKS reads a JWK Set from a file; config checks its keys.
func readJWKS(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--jwks: %w", err)
	}
	var set map[string]any
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("--jwks: %s is not a JSON object (a JWK Set, {\"keys\": [...]}): %w", path, err)
	}
	return set, nil
}

// parseRateLimit reads --rate-limit: RATE/PERIOD, 0 (exempt) or default
// (nil: the file's rate_limits.token). With only --rate-limit-burst given,
// it changes the burst of the current limit.
func parseRateLimit(s string, burst int, current *usage.Limit) (*usage.Limit, error) {
	switch s {
	case "":
		if current == nil {
			return nil, fmt.Errorf("--rate-limit-burst needs --rate-limit")
		}
		l := *current
		l.Burst = burst
		return &l, nil
	case "default":
		return nil, nil
	case "0":
		return &usage.Limit{}, nil
	}
	rate, period, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(rate)
	d, derr := time.ParseDuration(period)
	if !ok || err != nil || derr != nil {
		return nil, fmt.Errorf("--rate-limit %q: want RATE/PERIOD such as 100/1m, 0 or default", s)
	}
	return &usage.Limit{Rate: n, Period: d, Burst: burst}, nil
}
