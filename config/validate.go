package config

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/theme"
	"github.com/portcullis/portcullis/usage"
	"github.com/portcullis/portcullis/users"
)

// MinSecretLength is the shortest client secret accepted in the file. The
// store keeps only a SHA-256 digest of secrets, which is safe only for
// secrets too long to guess.
const MinSecretLength = 32

// supportedGrants are the grant types the server implements.
var supportedGrants = []string{"client_credentials", "authorization_code", "refresh_token"}

// introspectAny is the clients[].introspect value that lets a client
// introspect every token.
const introspectAny = "any"

// MinPasswordLength is the shortest password accepted (NIST SP 800-63B).
const MinPasswordLength = 8

func (c *Config) validate() error {
	var p problems
	p.check(c.Issuer != "", "issuer", "is required")
	if c.Issuer != "" {
		if err := checkIssuer(c.Issuer); err != nil {
			p.add("issuer", err.Error())
		}
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen", "must be host:port")
	}
	if c.OpsListen != "" {
		if _, _, err := net.SplitHostPort(c.OpsListen); err != nil {
			p.add("ops_listen", "must be host:port")
		}
		p.check(c.OpsListen != c.Listen, "ops_listen", "must differ from listen: the operations listener is apart from the public one")
	}
	p.check(c.Storage != "", "storage", "is required")
	if c.Storage != "" {
		if _, _, err := c.Store(); err != nil {
			p.add("storage", err.Error())
		}
	}
	if c.Redis != "" {
		if u, err := url.Parse(c.Redis); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			p.add("redis", "must be redis://HOST:PORT/DB or rediss://HOST:PORT/DB")
		}
	}
	for i, tp := range c.TrustedProxies {
		if _, err := parsePrefix(tp); err != nil {
			p.add(fmt.Sprintf("trusted_proxies[%d]", i), "must be an IP address or a CIDR range such as 10.0.0.0/8")
		}
	}
	if c.OAuthAgent != nil {
		// The agent runs behind the same proxies as the server.
		c.OAuthAgent.TrustedProxies = c.trustedProxies()
		if err := c.OAuthAgent.Validate(); err != nil {
			p = append(p, err)
		}
	}
	if c.Gateway != nil {
		// The gateway tells client addresses, for its limits per address
		// and its usage events, behind the same proxies as the server.
		c.Gateway.TrustedProxies = c.trustedProxies()
		// Cookie routes read the agent's cookies: by default, with its
		// settings.
		inherited := c.Gateway.Cookies == nil && c.OAuthAgent != nil
		if inherited {
			ck := c.OAuthAgent.Cookies()
			c.Gateway.Cookies = &ck
		}
		for _, err := range unjoin(c.Gateway.Validate()) {
			// Inherited cookie settings are the agent's, whose problems
			// are reported under oauth_agent.*: said again under
			// gateway.cookies.*, each would be printed twice.
			if ge := (*gateway.ConfigError)(nil); inherited && errors.As(err, &ge) && strings.HasPrefix(ge.Key, "gateway.cookies.") {
				continue
			}
			p = append(p, err)
		}
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = authserver.DefaultAccessTokenTTL
	}
	p.check(c.AccessTokenTTL >= time.Minute && c.AccessTokenTTL <= 24*time.Hour, "access_token_ttl", "must be between 1m and 24h")
	c.IDTokenTTL = cmp.Or(c.IDTokenTTL, authserver.DefaultIDTokenTTL)
	p.check(c.IDTokenTTL >= time.Minute && c.IDTokenTTL <= 24*time.Hour, "id_token_ttl", "must be between 1m and 24h")
	c.RefreshTokenIdleTTL = cmp.Or(c.RefreshTokenIdleTTL, authserver.DefaultRefreshIdleTTL)
	c.RefreshTokenMaxTTL = cmp.Or(c.RefreshTokenMaxTTL, authserver.DefaultRefreshMaxTTL)
	p.check(c.RefreshTokenIdleTTL >= time.Minute, "refresh_token_idle_ttl", "must be at least 1m")
	p.check(c.RefreshTokenMaxTTL >= c.RefreshTokenIdleTTL, "refresh_token_max_ttl", "must be at least refresh_token_idle_ttl")
	c.RefreshTokenGrace = cmp.Or(c.RefreshTokenGrace, authserver.DefaultRefreshGrace)
	p.check(c.RefreshTokenGrace > 0 && c.RefreshTokenGrace <= store.MaxRefreshGrace, "refresh_token_grace", "must be between 1s and 1m")
	c.SessionTTL = cmp.Or(c.SessionTTL, authserver.DefaultSessionTTL)
	p.check(c.SessionTTL >= time.Minute, "session_ttl", "must be at least 1m")
	c.AuditRetention = cmp.Or(c.AuditRetention, audit.DefaultRetention)
	p.check(c.AuditRetention >= 24*time.Hour, "audit_retention", "must be at least 24h")
	c.UsageRetention = cmp.Or(c.UsageRetention, usage.DefaultRetention)
	p.check(c.UsageRetention >= 24*time.Hour, "usage_retention", "must be at least 24h")
	c.PendingRequestsPerAddress = cmp.Or(c.PendingRequestsPerAddress, authserver.DefaultPendingPerAddress)
	c.PendingRequestsTotal = cmp.Or(c.PendingRequestsTotal, authserver.DefaultPendingTotal)
	p.check(c.PendingRequestsPerAddress > 0, "pending_requests_per_address", "must be positive")
	p.check(c.PendingRequestsTotal >= c.PendingRequestsPerAddress, "pending_requests_total", "must be at least pending_requests_per_address")
	c.validateServing(&p)
	c.validateTLS(&p)
	c.validateLogging(&p)
	c.validateDPoP(&p)
	c.validateRateLimits(&p)
	for _, err := range []error{c.Anomalies.Validate(), c.Alerts.Validate()} {
		if err != nil {
			p = append(p, err)
		}
	}
	if c.Keys.AccessTokenAlg == "" {
		c.Keys.AccessTokenAlg = keys.ES256
	}
	p.check(keys.Supported(c.Keys.AccessTokenAlg), "keys.access_token_alg", "must be ES256, RS256 or EdDSA")
	for i, a := range c.Keys.Algorithms {
		p.check(keys.Supported(a), fmt.Sprintf("keys.algorithms[%d]", i), "must be ES256, RS256 or EdDSA")
	}
	c.validateKeyRing(&p)
	if c.DefaultAudience == "" {
		c.DefaultAudience = store.AudienceSingle
	}
	p.check(validAudiencePolicy(c.DefaultAudience), "default_audience", audiencePolicyProblem)

	ids := map[string]bool{}
	for i := range c.APIs {
		key := fmt.Sprintf("apis[%d]", i)
		c.validateAPI(&c.APIs[i], key, &p)
		p.check(!ids[c.APIs[i].Identifier], key+".identifier", "is defined twice")
		ids[c.APIs[i].Identifier] = true
	}

	usernames := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		p.check(u.Username != "", key+".username", "is required")
		p.check(!usernames[strings.ToLower(u.Username)], key+".username", "is defined twice")
		usernames[strings.ToLower(u.Username)] = true
		p.check(len(u.Password) >= MinPasswordLength, key+".password", fmt.Sprintf("must have at least %d characters", MinPasswordLength))
		for _, rp := range registry.CheckRoles(u.Roles) {
			p.add(fmt.Sprintf("%s.roles[%d]", key, rp.Index), rp.Detail)
		}
	}
	scopes := c.scopes()
	clientIDs := map[string]bool{}
	for i, cl := range c.Clients {
		key := fmt.Sprintf("clients[%d]", i)
		p.check(cl.ClientID != "", key+".client_id", "is required")
		p.check(!clientIDs[cl.ClientID], key+".client_id", "is defined twice")
		clientIDs[cl.ClientID] = true
		c.validateClient(&c.Clients[i], key, scopes, &p)
	}
	c.validateIntrospectionClients(&p)
	c.validateRegistration(&p)
	c.validateLook(&p)
	c.validateMFA(&p)
	c.validateConnectors(&p)
	return p.err()
}

// validateRegistration checks the registration section: one-time
// initial access tokens are secrets, as long as client secrets.
func (c *Config) validateRegistration(p *problems) {
	seen := map[string]bool{}
	for i, t := range c.Registration.InitialAccessTokens {
		key := fmt.Sprintf("registration.initial_access_tokens[%d]", i)
		p.check(len(t) >= MinSecretLength, key, fmt.Sprintf("must have at least %d characters", MinSecretLength))
		p.check(!seen[t], key, "is listed twice")
		seen[t] = true
	}
	p.check(len(c.Registration.InitialAccessTokens) == 0 || c.Registration.Enabled, "registration.initial_access_tokens", "needs enabled: true")
}

// validateLook checks branding, reading its logo file, and that
// templates_dir is a folder; the templates themselves are parsed when the
// server is built, which names a bad one's file and line.
func (c *Config) validateLook(p *problems) {
	for _, bp := range c.Branding.Validate() {
		p.add("branding."+bp.Field, bp.Message)
	}
	if len(c.Branding.Validate()) == 0 {
		t, err := theme.New(c.Branding, c.dir, c.Issuer)
		if err != nil {
			*p = append(*p, err)
		}
		c.theme = t
	}
	if c.TemplatesDir != "" {
		if !filepath.IsAbs(c.TemplatesDir) {
			c.TemplatesDir = filepath.Join(c.dir, c.TemplatesDir)
		}
		if fi, err := os.Stat(c.TemplatesDir); err != nil || !fi.IsDir() {
			p.add("templates_dir", c.TemplatesDir+" is not a folder")
		}
	}
}

// audiencePolicyProblem is the message for a bad default_audience.
const audiencePolicyProblem = "must be single or all"

// validAudiencePolicy reports whether v names a default audience policy.
func validAudiencePolicy(v string) bool {
	return v == store.AudienceSingle || v == store.AudienceAll
}

// validateIntrospectionClients checks that every client an API lets
// introspect its tokens is a client of this file that can authenticate:
// a typo would otherwise leave the API's resource server with every token
// inactive, and a public client cannot introspect at all.
func (c *Config) validateIntrospectionClients(p *problems) {
	for i, api := range c.APIs {
		for j, id := range api.IntrospectionClients {
			key := fmt.Sprintf("apis[%d].introspection_clients[%d]", i, j)
			k := slices.IndexFunc(c.Clients, func(cl Client) bool { return cl.ClientID == id })
			switch {
			case k < 0:
				p.add(key, fmt.Sprintf("%q is not a client_id of clients", id))
			case c.Clients[k].TokenEndpointAuthMethod == store.AuthNone:
				p.add(key, fmt.Sprintf("%q is a public client, which cannot introspect", id))
			}
		}
	}
}

// validateKeyRing parses the key-encryption keys. Its messages give the
// length of a bad value, never the value.
func (c *Config) validateKeyRing(p *problems) {
	parse := func(key, v string) *keys.KEK {
		if v == "" {
			return nil
		}
		kek, err := keys.ParseKEK(v)
		if err != nil {
			p.add(key, fmt.Sprintf("must be %d hexadecimal characters (%d bytes, AES-256; openssl rand -hex 32), got %d characters", 2*keys.KEKSize, keys.KEKSize, len(v)))
		}
		return kek
	}
	c.keyRing.Current = parse("key_encryption_key", c.KeyEncryptionKey)
	c.keyRing.Previous = parse("key_encryption_key_previous", c.KeyEncryptionKeyPrevious)
	if c.KeyEncryptionKeyPrevious != "" {
		p.check(c.KeyEncryptionKey != "", "key_encryption_key_previous", "needs key_encryption_key, the key that replaces it")
		p.check(!strings.EqualFold(c.KeyEncryptionKey, c.KeyEncryptionKeyPrevious), "key_encryption_key_previous", "must differ from key_encryption_key")
	}
}

func (c *Config) validateClient(cl *Client, key string, scopes map[string]bool, p *problems) {
	if cl.TokenEndpointAuthMethod == "" {
		cl.TokenEndpointAuthMethod = store.AuthSecretBasic
	}
	switch cl.TokenEndpointAuthMethod {
	case store.AuthSecretBasic, store.AuthSecretPost:
		if cl.ClientSecret == "" {
			p.add(join(key, "client_secret"), "is required for "+cl.TokenEndpointAuthMethod)
		} else if len(cl.ClientSecret) < MinSecretLength {
			p.add(join(key, "client_secret"), fmt.Sprintf("must have at least %d characters", MinSecretLength))
		}
		p.check(cl.JWKS == nil && cl.JWKSURI == "", key, "jwks and jwks_uri are only for private_key_jwt")
		p.check(cl.AssertionAudience == "", join(key, "assertion_audience"), "is only for private_key_jwt")
	case store.AuthPrivateKey:
		switch cl.AssertionAudience {
		case "issuer":
			cl.AssertionAudience = ""
		case "", store.AssertionAudienceTokenEndpoint:
		default:
			p.add(join(key, "assertion_audience"), "must be issuer or token_endpoint")
		}
		p.check(cl.ClientSecret == "", join(key, "client_secret"), "must not be set for private_key_jwt")
		p.check((cl.JWKS != nil) != (cl.JWKSURI != ""), key, "private_key_jwt needs exactly one of jwks and jwks_uri")
		if cl.JWKS != nil {
			if _, err := clientJWKS(cl.JWKS); err != nil {
				p.add(join(key, "jwks"), err.Error())
			}
		}
		if cl.JWKSURI != "" {
			if err := checkURL(cl.JWKSURI); err != nil {
				p.add(join(key, "jwks_uri"), err.Error())
			} else if u, _ := url.Parse(cl.JWKSURI); isLoopback(u.Hostname()) && !c.AllowPrivateJWKSURI {
				p.add(join(key, "jwks_uri"), "is on a loopback host, which is refused unless allow_private_jwks_uri is set (development)")
			}
		}
	case store.AuthNone:
		p.check(cl.ClientSecret == "" && cl.JWKS == nil && cl.JWKSURI == "", key, "a public client (none) has no secret and no keys")
		p.check(cl.AssertionAudience == "", join(key, "assertion_audience"), "is only for private_key_jwt")
		p.check(!slices.Contains(cl.GrantTypes, "client_credentials"), join(key, "grant_types"), "a public client cannot use client_credentials")
	default:
		p.add(join(key, "token_endpoint_auth_method"), "must be client_secret_basic, client_secret_post, private_key_jwt or none")
	}
	p.check(len(cl.GrantTypes) > 0, join(key, "grant_types"), "must list at least one grant type")
	for j, g := range cl.GrantTypes {
		p.check(slices.Contains(supportedGrants, g), fmt.Sprintf("%s[%d]", join(key, "grant_types"), j), "must be one of "+strings.Join(supportedGrants, ", "))
	}
	code := slices.Contains(cl.GrantTypes, "authorization_code")
	p.check(!slices.Contains(cl.GrantTypes, "refresh_token") || code, join(key, "grant_types"), "refresh_token needs authorization_code")
	p.check(!code || len(cl.RedirectURIs) > 0, join(key, "redirect_uris"), "is required with the authorization_code grant")
	switch cl.ApplicationType {
	case "":
		cl.ApplicationType = "web"
	case "web", "native":
	default:
		p.add(join(key, "application_type"), "must be web or native")
	}
	native := cl.ApplicationType == "native"
	for j, u := range cl.RedirectURIs {
		if err := checkRedirectURI(u, native, c.AllowInsecureLocalhost); err != nil {
			p.add(fmt.Sprintf("%s[%d]", join(key, "redirect_uris"), j), err.Error())
		}
	}
	for j, u := range cl.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u, native, c.AllowInsecureLocalhost); err != nil {
			p.add(fmt.Sprintf("%s[%d]", join(key, "post_logout_redirect_uris"), j), err.Error())
		}
	}
	// RFC 8252 section 8.6: any app can claim a public client's identity,
	// so the user must always see who they are authorizing.
	p.check(!cl.SkipConsent || (cl.TokenEndpointAuthMethod != store.AuthNone && cl.ApplicationType != "native"),
		join(key, "skip_consent"), "is not allowed for public or native clients, whose identity cannot be proven")
	if a := cl.IDTokenSignedResponseAlg; a != "" && !slices.Contains(c.Algorithms(), a) {
		p.add(join(key, "id_token_signed_response_alg"), "must be one of the algorithms keys are kept for: "+strings.Join(c.Algorithms(), ", "))
	}
	p.check(cl.DefaultAudience == "" || validAudiencePolicy(cl.DefaultAudience), join(key, "default_audience"), audiencePolicyProblem)
	switch cl.Introspect {
	case "":
	case introspectAny:
		p.check(cl.TokenEndpointAuthMethod != store.AuthNone, join(key, "introspect"), "a public client cannot introspect")
	default:
		p.add(join(key, "introspect"), "must be any, or absent")
	}
	for j, sc := range cl.Scopes {
		p.check(scopes[sc], fmt.Sprintf("%s[%d]", join(key, "scopes"), j), fmt.Sprintf("%q is neither an OpenID Connect scope nor a scope of any API", sc))
	}
	p.check(!slices.Contains(cl.Scopes, authserver.ScopeOfflineAccess) || slices.Contains(cl.GrantTypes, "refresh_token"),
		join(key, "scopes"), "offline_access needs the refresh_token grant")
	checkClientLimit(p, key, *cl)
	c.checkTTL(p, join(key, "access_token_ttl"), cl.AccessTokenTTL, c.AccessTokenTTL, "access_token_ttl")
	c.checkTTL(p, join(key, "id_token_ttl"), cl.IDTokenTTL, c.IDTokenTTL, "id_token_ttl")
	p.check(cl.RefreshTokenIdleTTL == 0 || cl.RefreshTokenIdleTTL.D() >= time.Minute, join(key, "refresh_token_idle_ttl"), "must be at least 1m")
	p.check(cl.RefreshTokenMaxTTL == 0 || cl.RefreshTokenMaxTTL.D() >= time.Minute, join(key, "refresh_token_max_ttl"), "must be at least 1m")
	idle, most := cmp.Or(cl.RefreshTokenIdleTTL.D(), c.RefreshTokenIdleTTL), cmp.Or(cl.RefreshTokenMaxTTL.D(), c.RefreshTokenMaxTTL)
	p.check(most >= idle, join(key, "refresh_token_max_ttl"), "must be at least the refresh token idle lifetime ("+idle.String()+")")
	p.check(len(cl.Name) <= 200, join(key, "client_name"), "must have at most 200 characters")
	if cl.LogoURI != "" {
		if err := theme.CheckImageURL(cl.LogoURI); err != nil {
			p.add(join(key, "logo_uri"), err.Error())
		}
	}
}

// checkRedirectURI enforces RFC 9700 section 4.1: absolute, no fragment,
// https. Native apps may also use loopback http (RFC 8252 section 7.3) and
// private-use schemes (section 7.1); web clients may use loopback http
// only when insecureLocalhost allows it, for development.
func checkRedirectURI(s string, native, insecureLocalhost bool) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(s, "#") {
		return errors.New("must be an absolute URI without a fragment")
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme == "http" && isLoopback(u.Hostname()) {
		if native || insecureLocalhost {
			return nil
		}
		return errors.New("must use https: http on a loopback host is for native apps, or for web clients when allow_insecure_localhost is set (development)")
	}
	if native && u.Scheme != "http" && strings.Contains(u.Scheme, ".") {
		return nil
	}
	return errors.New("must use https (http only on a loopback host; native apps may use a reverse-domain scheme)")
}

// clientJWKS checks a client's key set: public asymmetric keys only, RSA
// ones of at least authserver.MinRSAKeyBits.
func clientJWKS(v map[string]any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("is not a JWK Set: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("has no keys")
	}
	for i, k := range set.Keys {
		if err := authserver.CheckClientKey(k); err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, k.KeyID, err)
		}
	}
	return raw, nil
}

// parsePrefix reads a CIDR range or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// checkIssuer enforces RFC 8414 section 2 and refuses plain http except on
// loopback, where no one else can see the traffic.
func checkIssuer(s string) error {
	if err := checkURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") {
		return errors.New("must have no query, no fragment and no trailing slash")
	}
	return nil
}

// checkURL requires an absolute https URL, or http on a loopback host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("must use https unless its host is loopback (127.0.0.1, ::1 or localhost)")
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Store backends named by the storage URL.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store returns the backend the storage URL names and its target: the
// SQLite file path, or the PostgreSQL connection string.
func (c *Config) Store() (backend, target string, err error) {
	if path, ok := strings.CutPrefix(c.Storage, "sqlite://"); ok && path != "" {
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.dir, path)
		}
		return SQLite, path, nil
	}
	if strings.HasPrefix(c.Storage, "postgres://") || strings.HasPrefix(c.Storage, "postgresql://") {
		return Postgres, c.Storage, nil
	}
	return "", "", errors.New("must be sqlite://PATH or postgres://USER@HOST:PORT/DB")
}

// Algorithms are the algorithms to keep signing keys for.
func (c *Config) Algorithms() []string {
	algs := []string{c.Keys.AccessTokenAlg}
	for _, a := range append([]string{keys.RS256}, c.Keys.Algorithms...) {
		if !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs
}

// AuthServer returns the authorization server's part of the configuration.
func (c *Config) AuthServer() authserver.Config {
	out := authserver.Config{
		Issuer: c.Issuer, AccessTokenTTL: c.AccessTokenTTL, AccessTokenAlg: c.Keys.AccessTokenAlg, DefaultAudience: c.DefaultAudience,
		IDTokenTTL: c.IDTokenTTL, RefreshIdleTTL: c.RefreshTokenIdleTTL, RefreshMaxTTL: c.RefreshTokenMaxTTL,
		RefreshGrace: c.RefreshTokenGrace, SessionTTL: c.SessionTTL, AllowPrivateJWKSURI: c.AllowPrivateJWKSURI,
		KeysEncrypted:     c.keyRing.Current != nil,
		PendingPerAddress: c.PendingRequestsPerAddress, PendingTotal: c.PendingRequestsTotal,
		TrustedProxies: c.trustedProxies(),
		DPoP:           authserver.DPoP{Nonce: c.DPoP.Nonce == dpopNonceRequired, Window: c.DPoP.Window},
		RateLimits:     c.authServerLimits(),
		Registration:   c.Registration.Enabled,
		Theme:          c.theme, TemplatesDir: c.TemplatesDir,
		MFA:        c.authServerMFA(),
		Connectors: c.connectors, PasswordDisabled: c.Password.Enabled != nil && !*c.Password.Enabled,
	}
	for _, api := range append(slices.Clone(c.APIs), registry.AdminAPI(c.Issuer)) {
		out.APIs = append(out.APIs, authserver.APIOf(storeAPI(api)))
	}
	for _, cl := range c.Clients {
		out.Clients = append(out.Clients, storeClient(cl))
	}
	return out
}

// trustedProxies are the valid entries of trusted_proxies, parsed.
func (c *Config) trustedProxies() []netip.Prefix {
	var out []netip.Prefix
	for _, tp := range c.TrustedProxies {
		if p, err := parsePrefix(tp); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// storeClient is cl as the store keeps it, with the digest of its secret.
func storeClient(cl Client) store.Client {
	sc := store.Client{
		ID: cl.ClientID, Name: cl.Name, LogoURI: cl.LogoURI, AuthMethod: cl.TokenEndpointAuthMethod,
		GrantTypes: cl.GrantTypes, Scopes: cl.Scopes, JWKSURI: cl.JWKSURI, AssertionAudience: cl.AssertionAudience,
		RedirectURIs: cl.RedirectURIs, PostLogoutRedirectURIs: cl.PostLogoutRedirectURIs,
		ApplicationType: cl.ApplicationType, SkipConsent: cl.SkipConsent, RequireMFA: cl.RequireMFA, Connectors: cl.Connectors, RequirePAR: cl.RequirePAR,
		IDTokenAlg: cl.IDTokenSignedResponseAlg, DefaultAudience: cl.DefaultAudience, IntrospectAny: cl.Introspect == introspectAny,
		DPoPBoundAccessTokens: cl.DPoPBoundAccessTokens,
		AccessTokenTTL:        cl.AccessTokenTTL.D(), IDTokenTTL: cl.IDTokenTTL.D(),
		RefreshIdleTTL: cl.RefreshTokenIdleTTL.D(), RefreshMaxTTL: cl.RefreshTokenMaxTTL.D(),
	}
	if l := cl.RateLimit; l != nil {
		sc.RateLimit = &store.RateLimit{Rate: l.Rate, Period: l.Period, Burst: l.Burst}
	}
	if cl.ClientSecret != "" {
		sc.SecretHash = authserver.HashSecret(cl.ClientSecret)
	}
	if cl.JWKS != nil {
		sc.JWKS, _ = clientJWKS(cl.JWKS) // validated before
	}
	return sc
}

// NewClient validates a client registered at run time (by the CLI, the
// management API or dynamic registration) with the same rules as the
// file's clients, knowing the scopes of the file's APIs and of stored,
// the APIs in the store, and returns it as the store keeps it. Its
// error lists every problem, each a *FieldError naming its field
// (FieldErrors).
func (c *Config) NewClient(cl Client, stored []store.API) (store.Client, error) {
	var p problems
	if cl.ClientID == "" {
		p.add("client_id", "is required")
	} else if !validClientID(cl.ClientID) {
		p.add("client_id", "must be 1 to 255 printable ASCII characters without spaces, slashes or percent signs")
	}
	for _, fc := range c.Clients {
		if fc.ClientID == cl.ClientID {
			p.add("client_id", "is defined in the configuration file")
		}
	}
	scopes := c.scopes()
	for _, a := range stored {
		for _, sc := range a.Scopes {
			scopes[sc.Name] = true
		}
	}
	c.validateClient(&cl, "", scopes, &p)
	if err := p.err(); err != nil {
		return store.Client{}, err
	}
	return storeClient(cl), nil
}

// validClientID reports whether id can be a client_id: printable ASCII
// (RFC 6749 appendix A.1), and nothing that would need escaping in the
// management API's paths.
func validClientID(id string) bool {
	if len(id) == 0 || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if b := id[i]; b <= 0x20 || b >= 0x7f || b == '/' || b == '%' || b == '?' || b == '#' {
			return false
		}
	}
	return true
}

// NewAPI validates an API registered at run time with the same rules as
// the file's APIs and returns it as the store keeps it. An identifier of
// the file's APIs is refused. client reports whether a client ID names a
// client that can authenticate (for introspection_clients).
func (c *Config) NewAPI(a API, client func(id string) (public, ok bool)) (store.API, error) {
	var p problems
	c.validateAPI(&a, "", &p)
	for _, fa := range c.APIs {
		p.check(fa.Identifier != a.Identifier, "identifier", "is defined in the configuration file")
	}
	for j, id := range a.IntrospectionClients {
		public, ok := client(id)
		p.check(ok, fmt.Sprintf("introspection_clients[%d]", j), fmt.Sprintf("%q is not a client", id))
		p.check(!ok || !public, fmt.Sprintf("introspection_clients[%d]", j), fmt.Sprintf("%q is a public client, which cannot introspect", id))
	}
	if err := p.err(); err != nil {
		return store.API{}, err
	}
	return storeAPI(a), nil
}

// storeAPI is a as the store keeps it.
func storeAPI(a API) store.API {
	out := store.API{Identifier: a.Identifier, Name: a.Name, AccessTokenTTL: a.AccessTokenTTL.D(),
		IntrospectionClients: a.IntrospectionClients}
	for _, sc := range a.Scopes {
		out.Scopes = append(out.Scopes, store.Scope{Name: sc.Name, Description: sc.Description})
	}
	return out
}

// validateAPI checks an API of the file or of the store.
func (c *Config) validateAPI(api *API, key string, p *problems) {
	if u, err := url.Parse(api.Identifier); err != nil || !u.IsAbs() || u.Fragment != "" {
		p.add(join(key, "identifier"), "must be an absolute URI without a fragment (RFC 8707)")
	}
	p.check(len(api.Identifier) <= 2048, join(key, "identifier"), "must have at most 2048 characters")
	p.check(api.Identifier != registry.AdminAudience(c.Issuer), join(key, "identifier"), "is the built-in management API's")
	p.check(len(api.Name) <= 200, join(key, "name"), "must have at most 200 characters")
	p.check(len(api.Scopes) > 0, join(key, "scopes"), "must list at least one scope")
	seen := map[string]bool{}
	for j, sc := range api.Scopes {
		k := fmt.Sprintf("%s[%d]", join(key, "scopes"), j)
		p.check(authserver.ValidScopeToken(sc.Name), k, "is not a valid scope (RFC 6749 section 3.3)")
		p.check(!seen[sc.Name], k, "is defined twice")
		p.check(!slices.Contains(authserver.OIDCScopes, sc.Name), k, "is an OpenID Connect scope, which no API defines")
		p.check(!slices.Contains(registry.AdminScopes, sc.Name), k, "is a scope of the built-in management API")
		p.check(len(sc.Description) <= 500, k+".description", "must have at most 500 characters")
		seen[sc.Name] = true
	}
	c.checkTTL(p, join(key, "access_token_ttl"), api.AccessTokenTTL, c.AccessTokenTTL, "access_token_ttl")
}

// checkTTL checks a lifetime that may only shorten the deployment's, so
// that keys stay published as long as any token they signed lives.
func (c *Config) checkTTL(p *problems, key string, v registry.Duration, most time.Duration, mostKey string) {
	p.check(v == 0 || (v.D() >= time.Minute && v.D() <= most), key, fmt.Sprintf("must be between 1m and the deployment's %s (%s)", mostKey, most))
}

// scopes are the scopes clients of the file may hold: OpenID Connect's,
// the management API's and those of the file's APIs.
func (c *Config) scopes() map[string]bool {
	out := map[string]bool{}
	for _, sc := range slices.Concat(authserver.OIDCScopes, registry.AdminScopes) {
		out[sc] = true
	}
	for _, api := range c.APIs {
		for _, sc := range api.Scopes {
			out[sc.Name] = true
		}
	}
	return out
}

// ConfiguredUsers returns the file's users for users.Sync.
func (c *Config) ConfiguredUsers() []users.Configured {
	var out []users.Configured
	for _, u := range c.Users {
		out = append(out, users.Configured{Username: u.Username, Password: u.Password, Claims: u.Claims, Roles: u.Roles})
	}
	return out
}

// problems collects validation failures, each naming its key.
type problems []error

func (p *problems) add(key, msg string) { *p = append(*p, &FieldError{Field: key, Message: msg}) }

func (p *problems) check(ok bool, key, msg string) {
	if !ok {
		p.add(key, msg)
	}
}

func (p problems) err() error { return errors.Join(p...) }

// unjoin splits an errors.Join result into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// FieldError is one problem with one value: Field is its key, as the YAML
// file and the management API's JSON spell it ("redirect_uris[0]",
// "clients[2].scopes"), empty for the whole object.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// FieldErrors returns the *FieldErrors in err, which NewClient and NewAPI
// return joined, in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		var fe *FieldError
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			if errors.As(err, &fe) {
				out = append(out, fe)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// Values of dpop.nonce.
const (
	dpopNonceRequired = "required"
	dpopNonceOff      = "off"
)

// validateDPoP checks the dpop section and fills in its defaults.
func (c *Config) validateDPoP(p *problems) {
	if c.DPoP.Nonce == "" {
		c.DPoP.Nonce = dpopNonceOff
	}
	p.check(c.DPoP.Nonce == dpopNonceRequired || c.DPoP.Nonce == dpopNonceOff, "dpop.nonce", "must be required or off")
	c.DPoP.Window = cmp.Or(c.DPoP.Window, dpop.DefaultWindow)
	p.check(c.DPoP.Window >= time.Second && c.DPoP.Window <= 10*time.Minute, "dpop.window", "must be between 1s and 10m")
}

// Defaults for the zero values of Config.ShutdownDelay and ShutdownGrace.
const (
	DefaultShutdownDelay = 5 * time.Second
	DefaultShutdownGrace = 20 * time.Second
)

// validateServing checks the connection limits and the shutdown timing,
// and fills in their defaults.
func (c *Config) validateServing(p *problems) {
	p.check(c.Limits.Connections >= 0, "limits.connections", "must not be negative")
	p.check(c.Limits.ConnectionsPerAddress >= 0, "limits.connections_per_address", "must not be negative")
	c.Limits = c.Limits.WithDefaults()
	p.check(c.Limits.ConnectionsPerAddress <= c.Limits.Connections, "limits.connections_per_address", "must be at most limits.connections")
	c.ShutdownDelay = cmp.Or(c.ShutdownDelay, DefaultShutdownDelay)
	p.check(c.ShutdownDelay > 0 && c.ShutdownDelay <= 5*time.Minute, "shutdown_delay", "must be between 1ms and 5m")
	c.ShutdownGrace = cmp.Or(c.ShutdownGrace, DefaultShutdownGrace)
	p.check(c.ShutdownGrace > 0 && c.ShutdownGrace <= 10*time.Minute, "shutdown_grace", "must be between 1ms and 10m")
}
