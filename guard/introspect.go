package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/internal/tokencache"
)

// introspector calls the issuer's RFC 7662 endpoint for opaque tokens, one
// request in flight per token, and caches the answers by token hash.
type introspector struct {
	endpoint string
	// id and secret are form-encoded once for client_secret_basic
	// (RFC 6749 section 2.3.1).
	id, secret string
	client     *http.Client
	ctx        context.Context
	opts       Introspection
	flight     flight[tokencache.Key, *Caller]

	calls, failures atomic.Int64
}

// introspectionResponse is the answer of RFC 7662 section 2.2.
type introspectionResponse struct {
	Active bool `json:"active"`
	claims
	TokenType string `json:"token_type"`
}

// introspect validates an opaque token. Concurrent requests for the same
// token share one call; the verdict is cached, a positive one until the
// earlier of exp and CacheMax, a negative one for NegativeCache. A failure
// to reach the issuer is not cached and answers 503: the token is neither
// accepted nor declared invalid.
func (g *Guard) introspect(ctx context.Context, token string, k tokencache.Key) (*Caller, error) {
	in := g.introspector
	return in.flight.do(ctx, k, nil, func() (*Caller, error) {
		raw, resp, err := in.call(token)
		if err != nil {
			n := in.failures.Add(1)
			g.s.Logger.Warn("guard: introspection failed", "url", in.endpoint, "failures", n, "err", err)
			return nil, newError(http.StatusServiceUnavailable, CodeTemporarilyUnavailable, ErrUnavailable, err)
		}
		now := g.s.Clock()
		reason := in.judge(resp, g.s.Issuer, g.s.Audience, now, g.s.Leeway)
		if reason != nil {
			g.cache.Put(k, entry{}, now.Add(in.opts.NegativeCache).UnixNano(), now.UnixNano())
			return nil, invalidToken(reason, nil)
		}
		c := resp.caller(raw)
		until := now.Add(in.opts.CacheMax)
		if resp.Expiry.set && c.expiresAt.Before(until) {
			until = c.expiresAt
		}
		g.cache.Put(k, entry{caller: c}, until.UnixNano(), now.UnixNano())
		return c, nil
	})
}

// judge returns why an introspection answer does not admit the token, or
// nil. A token_type, when given, must be that of an access token: a
// refresh token is active too, but is no credential for an API. A DPoP
// token (RFC 9449 section 6.2) must say which key it is bound to in cnf.
func (in *introspector) judge(resp *introspectionResponse, issuer, aud string, now time.Time, leeway time.Duration) error {
	if !resp.Active {
		return ErrInactive
	}
	t := strings.ToLower(resp.TokenType)
	if t != "" && t != "bearer" && t != "access_token" && t != "dpop" {
		return fmt.Errorf("%w: token_type %q", ErrInactive, resp.TokenType)
	}
	if err := resp.check(issuer, aud, now, leeway, false); err != nil {
		return err
	}
	if t == "dpop" && resp.jkt == "" {
		return fmt.Errorf("%w: token_type DPoP without cnf.jkt", ErrUnsupportedBinding)
	}
	return nil
}

// call posts the token (RFC 7662 section 2.1) and returns the raw answer
// with its decoded form.
func (in *introspector) call(token string) ([]byte, *introspectionResponse, error) {
	in.calls.Add(1)
	ctx, cancel := context.WithTimeout(in.ctx, fetchTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(in.id, in.secret)
	var raw json.RawMessage
	if _, err := doJSON(in.client, req, &raw); err != nil {
		return nil, nil, err
	}
	var resp introspectionResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, nil, err
	}
	return raw, &resp, nil
}

// newIntrospector checks the endpoint and encodes the credentials.
func newIntrospector(ctx context.Context, endpoint string, client *http.Client, opts Introspection) (*introspector, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("%w: Introspection is configured but the issuer advertises no introspection_endpoint", ErrDiscovery)
	}
	if _, err := url.Parse(endpoint); err != nil {
		return nil, fmt.Errorf("%w: introspection_endpoint: %w", ErrDiscovery, err)
	}
	return &introspector{
		endpoint: endpoint,
		id:       url.QueryEscape(opts.ClientID),
		secret:   url.QueryEscape(opts.ClientSecret),
		client:   client,
		ctx:      ctx,
		opts:     opts,
	}, nil
}
