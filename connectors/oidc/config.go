package oidc

import (
	"errors"
	"fmt"
	"slices"

	"github.com/portcullis/portcullis/connectors"
)

// Config is one OpenID Connect upstream, as written under connectors: in
// the configuration (the lead's config package adds id and name).
type Config struct {
	// Issuer is the provider's issuer identifier: https, or http on a
	// loopback address for development and tests. Its discovery document
	// is at Issuer + "/.well-known/openid-configuration" and must name the
	// same issuer (OpenID Connect Discovery section 4.3).
	Issuer string `yaml:"issuer"`
	// ClientID is Portcullis's client at the provider; the ID token's
	// audience must contain it.
	ClientID string `yaml:"client_id"`
	// ClientSecret authenticates the client at the token endpoint
	// (client_secret_basic, or client_secret_post when the provider offers
	// only that). Exactly one of ClientSecret and PrivateKey is set.
	ClientSecret string `yaml:"client_secret"`
	// PrivateKey is a PEM EC (P-256, P-384, P-521) or RSA private key
	// (PKCS #8, SEC 1 or PKCS #1) that signs private_key_jwt assertions
	// (RFC 7523 section 2.2, OpenID Connect Core section 9) instead of a
	// secret; the provider holds its public key.
	PrivateKey string `yaml:"private_key"`
	// KeyID is the assertions' kid. Empty means the key's RFC 7638 JWK
	// thumbprint (SHA-256, base64url).
	KeyID string `yaml:"key_id"`
	// AssertionAudience is the aud of assertions: empty means the issuer
	// identifier, as draft-ietf-oauth-rfc7523bis requires; "token_endpoint"
	// means the token endpoint URL, for providers that still want it.
	AssertionAudience string `yaml:"assertion_audience"`
	// Scopes are requested at the provider. Empty means openid, email and
	// profile; when set it must contain openid.
	Scopes []string `yaml:"scopes"`
	// UserInfo also fetches the userinfo endpoint after the code exchange
	// (OpenID Connect Core section 5.3) and adds the claims it has that
	// the ID token lacks: some providers put groups or email only there.
	UserInfo bool `yaml:"userinfo"`
	// Claims names the claims that make the identity.
	Claims Claims `yaml:"claims"`
}

// AudienceTokenEndpoint is the Config.AssertionAudience that makes the
// token endpoint URL the assertions' aud.
const AudienceTokenEndpoint = "token_endpoint"

// defaultScopes are requested when Config.Scopes is empty.
var defaultScopes = []string{"openid", "email", "profile"}

// Validate reports the first setting that is missing or wrong, named by
// its YAML key.
func (c Config) Validate() error {
	if err := validIssuer(c.Issuer); err != nil {
		return err
	}
	if c.ClientID == "" {
		return errors.New("client_id is required")
	}
	if (c.ClientSecret == "") == (c.PrivateKey == "") {
		return errors.New("exactly one of client_secret and private_key is required")
	}
	if c.PrivateKey == "" && (c.KeyID != "" || c.AssertionAudience != "") {
		return errors.New("key_id and assertion_audience need private_key")
	}
	if c.AssertionAudience != "" && c.AssertionAudience != AudienceTokenEndpoint {
		return fmt.Errorf("assertion_audience must be empty (the issuer) or %q", AudienceTokenEndpoint)
	}
	if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, "openid") {
		return errors.New("scopes must contain openid")
	}
	return nil
}

// validIssuer checks an issuer identifier (OpenID Connect Discovery
// section 2): connectors.SecureURL.
func validIssuer(issuer string) error {
	if issuer == "" {
		return errors.New("issuer is required")
	}
	if !connectors.SecureURL(issuer) {
		return errors.New("issuer must be an absolute https URL without query, fragment or user (http only on a loopback address)")
	}
	return nil
}

// scopes returns the scopes to request.
func (c Config) scopes() []string {
	if len(c.Scopes) == 0 {
		return defaultScopes
	}
	return c.Scopes
}
