package oidc

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/internal/flow"
)

// Connector signs people in at one OpenID Connect provider. It is safe for
// concurrent use.
type Connector struct {
	cfg    Config
	claims Claims
	client *http.Client
	signer *signer // nil with a client secret
	disc   *discovery
}

var _ connectors.Redirect = (*Connector)(nil)

// New validates cfg and returns its connector. It does not contact the
// provider: discovery happens at the first Start or Finish and is retried
// by the next one while it fails, so a provider that is down does not stop
// Portcullis from starting. client makes every request to the provider;
// nil, or a client without a timeout, is bounded by flow.Timeout.
func New(cfg Config, client *http.Client) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	c := &Connector{cfg: cfg, claims: cfg.Claims.withDefaults(), client: probingClient(client)}
	if cfg.PrivateKey != "" {
		s, err := newSigner(cfg.PrivateKey, cfg.KeyID)
		if err != nil {
			return nil, fmt.Errorf("oidc: %w", err)
		}
		c.signer = s
	}
	c.disc = newDiscovery(cfg.Issuer, cfg.ClientID, c.client)
	return c, nil
}

// Start implements connectors.Redirect: an authorization request (OpenID
// Connect Core section 3.1.2.1) with a fresh state, nonce and S256 PKCE
// challenge (RFC 7636 section 4.3), and login_hint, prompt and max_age
// when given. It fails with connectors.ErrUpstream while the provider
// cannot be discovered.
func (c *Connector) Start(ctx context.Context, callback string, so connectors.StartOptions) (string, connectors.State, error) {
	u, err := c.disc.get(ctx)
	if err != nil {
		return "", connectors.State{}, err
	}
	st := flow.NewState(true)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(st.Verifier), oidc.Nonce(st.Nonce)}
	if so.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", so.LoginHint))
	}
	if so.Prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", so.Prompt))
	}
	if so.MaxAge != nil {
		opts = append(opts, oauth2.SetAuthURLParam("max_age", strconv.FormatInt(*so.MaxAge, 10)))
	}
	return c.oauth2(u, callback).AuthCodeURL(st.State, opts...), st, nil
}

// Finish implements connectors.Redirect: it checks the authorization
// response (its iss per RFC 9207 section 2.4, its state), exchanges the
// code with the PKCE verifier, validates the ID token (issuer, audience,
// signature, expiry: OpenID Connect Core section 3.1.3.7) and its nonce,
// adds userinfo's claims when configured, and maps the claims.
func (c *Connector) Finish(ctx context.Context, callback string, st connectors.State, query url.Values) (connectors.Identity, error) {
	u, err := c.disc.get(ctx)
	if err != nil {
		return connectors.Identity{}, err
	}
	if err := c.checkIss(u, query); err != nil {
		return connectors.Identity{}, err
	}
	code, err := flow.Callback(st, query)
	if err != nil {
		return connectors.Identity{}, err
	}
	if st.Nonce == "" || st.Verifier == "" {
		return connectors.Identity{}, fmt.Errorf("%w: the sign-in's state has no nonce or verifier", connectors.ErrRefused)
	}
	tok, err := c.exchange(ctx, u, callback, code, st.Verifier)
	if err != nil {
		return connectors.Identity{}, err
	}
	idt, claims, err := c.verify(ctx, u, tok, st.Nonce)
	if err != nil {
		return connectors.Identity{}, err
	}
	// acr, amr and auth_time are read from the verified ID token only,
	// never userinfo.
	signed := signedOnly(claims)
	if c.cfg.UserInfo {
		if err := c.addUserInfo(ctx, u, tok, idt.Subject, claims); err != nil {
			return connectors.Identity{}, err
		}
	}
	id, err := c.claims.identity(claims)
	if err != nil {
		return connectors.Identity{}, err
	}
	id.ACR, id.AMR, id.AuthTime = signed.ACR, signed.AMR, signed.AuthTime
	return id, nil
}

// checkIss applies RFC 9207 section 2.4: an iss parameter, when present,
// must be the issuer, which defeats mix-up attacks; when the provider
// advertises it, it must be present.
func (c *Connector) checkIss(u *upstream, query url.Values) error {
	iss, present := query["iss"]
	switch {
	case present && (len(iss) != 1 || iss[0] != c.cfg.Issuer):
		return fmt.Errorf("%w: the iss parameter %s is not the issuer (RFC 9207)", connectors.ErrRefused, flow.Bound(query.Get("iss")))
	case !present && u.issParameter:
		return fmt.Errorf("%w: the provider sends the iss parameter, and this response has none (RFC 9207)", connectors.ErrRefused)
	}
	return nil
}

// oauth2 returns the x/oauth2 configuration of one sign-in at callback.
func (c *Connector) oauth2(u *upstream, callback string) *oauth2.Config {
	ep := u.provider.Endpoint()
	switch {
	case c.signer != nil || u.postSecret:
		ep.AuthStyle = oauth2.AuthStyleInParams
	default:
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
		Endpoint: ep, RedirectURL: callback, Scopes: c.cfg.scopes(),
	}
}

// exchange redeems code at the token endpoint (RFC 6749 section 4.1.3),
// authenticated with the secret or an assertion.
func (c *Connector) exchange(ctx context.Context, u *upstream, callback, code, verifier string) (*oauth2.Token, error) {
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	conf := c.oauth2(u, callback)
	if c.signer != nil {
		aud := c.cfg.Issuer
		if c.cfg.AssertionAudience == AudienceTokenEndpoint {
			aud = conf.Endpoint.TokenURL
		}
		a, err := c.signer.assertion(c.cfg.ClientID, aud, time.Now())
		if err != nil {
			return nil, fmt.Errorf("oidc: sign the client assertion: %w", err)
		}
		opts = append(opts, oauth2.SetAuthURLParam("client_assertion_type", assertionType),
			oauth2.SetAuthURLParam("client_assertion", a))
	}
	tok, err := conf.Exchange(oidc.ClientContext(ctx, c.client), code, opts...)
	if err != nil {
		return nil, flow.ExchangeError(err)
	}
	return tok, nil
}

// verify validates the token response's ID token and its nonce (OpenID
// Connect Core section 3.1.3.7) and returns it with its claims.
func (c *Connector) verify(ctx context.Context, u *upstream, tok *oauth2.Token, nonce string) (*oidc.IDToken, map[string]any, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil, fmt.Errorf("%w: the token response has no id_token", connectors.ErrRefused)
	}
	// The probe tells a key set that could not be fetched during this
	// verification (an outage) from a token no key verifies (refused).
	u.keys.unavailable.Store(false)
	idt, err := u.verifier.Verify(ctx, raw)
	if err != nil && u.keys.unavailable.Load() {
		return nil, nil, fmt.Errorf("%w: the provider's key set cannot be fetched", connectors.ErrUpstream)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: ID token: %s", connectors.ErrRefused, flow.Bound(err.Error()))
	}
	if idt.Nonce == "" {
		return nil, nil, fmt.Errorf("%w: the ID token has no nonce", connectors.ErrRefused)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, nil, fmt.Errorf("%w: the ID token's nonce is not this sign-in's", connectors.ErrRefused)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, nil, fmt.Errorf("%w: ID token claims: %s", connectors.ErrRefused, flow.Bound(err.Error()))
	}
	return idt, claims, nil
}

// addUserInfo adds to claims the userinfo claims it lacks. The ID token's
// own claims win: they are signed. Userinfo must be about the same subject
// (OpenID Connect Core section 5.3.2).
func (c *Connector) addUserInfo(ctx context.Context, u *upstream, tok *oauth2.Token, sub string, claims map[string]any) error {
	pctx, p := withProbe(oidc.ClientContext(ctx, c.client))
	info, err := u.provider.UserInfo(pctx, oauth2.StaticTokenSource(tok))
	if err != nil && p.unavailable.Load() {
		return fmt.Errorf("%w: userinfo: %s", connectors.ErrUpstream, flow.Bound(err.Error()))
	}
	if err != nil {
		return fmt.Errorf("%w: userinfo: %s", connectors.ErrRefused, flow.Bound(err.Error()))
	}
	if info.Subject != sub {
		return fmt.Errorf("%w: userinfo is about another subject than the ID token", connectors.ErrRefused)
	}
	var extra map[string]any
	if err := info.Claims(&extra); err != nil {
		return fmt.Errorf("%w: userinfo claims: %s", connectors.ErrRefused, flow.Bound(err.Error()))
	}
	for k, v := range extra {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return nil
}
