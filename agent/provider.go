package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/dpop"
)

const (
	// providerTimeout bounds every call to the provider, connection and
	// body included.
	providerTimeout = 10 * time.Second
	// maxProviderBody bounds what is read of a provider's answer.
	maxProviderBody = 1 << 20
)

// metadata is what the agent uses of the discovery document beyond what
// go-oidc reads (OpenID Connect Discovery 1.0 section 3, RFC 8414).
type metadata struct {
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	RevocationEndpoint    string   `json:"revocation_endpoint"`
	PAREndpoint           string   `json:"pushed_authorization_request_endpoint"`
	RequirePAR            bool     `json:"require_pushed_authorization_requests"`
	IssParameter          bool     `json:"authorization_response_iss_parameter_supported"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	DPoPAlgorithms        []string `json:"dpop_signing_alg_values_supported"`
}

// provider is the OpenID provider: its metadata, the agent's client
// registration with it, and the ID token verifier over its key set.
type provider struct {
	issuer   string
	meta     metadata
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
	// proving holds, per DPoP key thumbprint, a client like client whose
	// requests carry a proof of that key (RFC 9449 section 4.1) and are
	// sent again once when the provider asks for a nonce (section 8).
	proving map[string]*http.Client
}

// prove gives p a proving client for each of keys.
func (p *provider) prove(keys *dpopKeys) {
	p.proving = map[string]*http.Client{}
	for _, k := range keys.keys {
		p.proving[k.Thumbprint()] = &http.Client{Timeout: p.client.Timeout, Transport: &dpop.Transport{Key: k, Base: p.client.Transport}}
	}
}

// clientFor is the client that proves possession of key, or the plain
// client for a nil key.
func (p *provider) clientFor(key *dpop.Key) *http.Client {
	if key == nil {
		return p.client
	}
	return p.proving[key.Thumbprint()]
}

// errNoDocument means the discovery document could not be read or is not
// the issuer's, which a provider still starting explains: New retries.
var errNoDocument = errors.New("the discovery document could not be read")

// discover reads the provider's discovery document within ctx and checks
// that it offers what the agent needs.
func discover(ctx context.Context, cfg Config, client *http.Client) (*provider, error) {
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrDiscovery, errNoDocument, err)
	}
	var m metadata
	if err := op.Claims(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	if m.AuthorizationEndpoint == "" || m.TokenEndpoint == "" {
		return nil, fmt.Errorf("%w: authorization_endpoint and token_endpoint are required", ErrDiscovery)
	}
	if len(m.CodeChallengeMethods) > 0 && !slices.Contains(m.CodeChallengeMethods, "S256") {
		return nil, fmt.Errorf("%w: the provider does not support PKCE with S256", ErrDiscovery)
	}
	// RFC 9449 section 5.1: a provider that takes proofs says with which
	// algorithms. Without ES256 every login would fail; better at start.
	if cfg.DPoP && !slices.Contains(m.DPoPAlgorithms, string(jose.ES256)) {
		return nil, fmt.Errorf("%w: dpop is on but the provider does not list ES256 in dpop_signing_alg_values_supported", ErrDiscovery)
	}
	if m.RequirePAR && m.PAREndpoint == "" {
		return nil, fmt.Errorf("%w: pushed authorization requests are required but no endpoint is published", ErrDiscovery)
	}
	// RFC 8414 section 2: an absent list means client_secret_basic.
	style := oauth2.AuthStyleInHeader
	switch methods := m.TokenAuthMethods; {
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
	case slices.Contains(methods, "client_secret_post"):
		style = oauth2.AuthStyleInParams
	default:
		return nil, fmt.Errorf("%w: the token endpoint accepts neither client_secret_basic nor client_secret_post", ErrDiscovery)
	}
	return &provider{
		issuer: cfg.Issuer,
		meta:   m,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURI,
			Endpoint: oauth2.Endpoint{AuthURL: m.AuthorizationEndpoint, TokenURL: m.TokenEndpoint, AuthStyle: style},
		},
		verifier: op.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
	}, nil
}

// Failures of calls to the provider, before they become answers.
var (
	// errUnreachable: no answer (connection refused, timeout): 503.
	errUnreachable = errors.New("the provider could not be reached")
	// errBadAnswer: a server error or an answer that makes no sense: 502.
	errBadAnswer = errors.New("the provider answered badly")
)

// oauthError is an OAuth error answer of the provider (RFC 6749 section
// 5.2): a 4xx status with an error code.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string {
	return fmt.Sprintf("the provider answered %d %s: %s", e.status, e.code, e.description)
}

// exchange redeems an authorization code with its PKCE verifier
// (RFC 6749 section 4.1.3, RFC 7636 section 4.5), with a proof of key
// unless it is nil (RFC 9449 section 5).
func (p *provider) exchange(ctx context.Context, code, verifier string, key *dpop.Key) (*oauth2.Token, error) {
	tok, err := p.oauth.Exchange(p.ctx(ctx, key), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, tokenError(err)
	}
	return tok, checkBound(tok, key)
}

// refresh uses a refresh token (RFC 6749 section 6), with a proof of key
// unless it is nil.
func (p *provider) refresh(ctx context.Context, refreshToken string, key *dpop.Key) (*oauth2.Token, error) {
	tok, err := p.oauth.TokenSource(p.ctx(ctx, key), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, tokenError(err)
	}
	return tok, checkBound(tok, key)
}

// checkBound refuses a token response to a request with a proof whose
// token_type is not DPoP (RFC 9449 section 5): the provider ignored the
// proof and issued bearer tokens, which the operator asked the agent
// never to hold.
func checkBound(tok *oauth2.Token, key *dpop.Key) error {
	if key != nil && !strings.EqualFold(tok.TokenType, "DPoP") {
		return fmt.Errorf("%w: token endpoint: token_type %q instead of DPoP: the provider does not bind tokens to the agent's DPoP key", errBadAnswer, tok.TokenType)
	}
	return nil
}

// ctx makes x/oauth2 use the agent's HTTP client, the one proving
// possession of key when it is not nil.
func (p *provider) ctx(ctx context.Context, key *dpop.Key) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.clientFor(key))
}

// tokenError sorts an x/oauth2 error into errUnreachable, errBadAnswer or
// an *oauthError.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 && re.ErrorCode != "":
		return &oauthError{status: re.Response.StatusCode, code: re.ErrorCode, description: re.ErrorDescription}
	case errors.As(err, &re) && re.Response != nil:
		return fmt.Errorf("%w: token endpoint: %v", errBadAnswer, re.Response.Status)
	case isNetworkError(err):
		return fmt.Errorf("%w: token endpoint: %w", errUnreachable, err)
	default:
		return fmt.Errorf("%w: token endpoint: %w", errBadAnswer, err)
	}
}

// isNetworkError reports whether err happened before any answer arrived.
func isNetworkError(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}

// pushAuthorization sends an authorization request to the PAR endpoint
// (RFC 9126 section 2) and returns its request_uri.
func (p *provider) pushAuthorization(ctx context.Context, params url.Values) (string, error) {
	var out struct {
		RequestURI string `json:"request_uri"`
	}
	if err := p.postAuthenticated(ctx, p.meta.PAREndpoint, "PAR endpoint", params, &out); err != nil {
		return "", err
	}
	if out.RequestURI == "" {
		return "", fmt.Errorf("%w: PAR endpoint: no request_uri", errBadAnswer)
	}
	return out.RequestURI, nil
}

// revoke revokes a refresh token at the revocation endpoint (RFC 7009
// section 2.1), which ends its grant at the provider.
func (p *provider) revoke(ctx context.Context, refreshToken string) error {
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}}
	return p.postAuthenticated(ctx, p.meta.RevocationEndpoint, "revocation endpoint", form, nil)
}

// postAuthenticated posts params to one of the provider's endpoints with
// the agent's client authentication, the token endpoint's method, and
// decodes the answer into out (nil: any 2xx answer will do).
func (p *provider) postAuthenticated(ctx context.Context, endpoint, what string, params url.Values, out any) error {
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	basic := p.oauth.Endpoint.AuthStyle == oauth2.AuthStyleInHeader
	if !basic {
		form.Set("client_id", p.oauth.ClientID)
		form.Set("client_secret", p.oauth.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errBadAnswer, what, err)
	}
	if basic {
		// RFC 6749 section 2.3.1: both form-urlencoded before Basic.
		req.SetBasicAuth(url.QueryEscape(p.oauth.ClientID), url.QueryEscape(p.oauth.ClientSecret))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.call(req, nil, what, out)
}

// userInfo returns the UserInfo claims for an access token (OpenID Connect
// Core section 5.3), as the provider sent them. A token bound to key (nil:
// a bearer token) goes with a proof of it (RFC 9449 section 7.1).
func (p *provider) userInfo(ctx context.Context, accessToken string, key *dpop.Key) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.meta.UserinfoEndpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo endpoint: %w", errBadAnswer, err)
	}
	scheme := "Bearer "
	if key != nil {
		scheme = "DPoP "
	}
	req.Header.Set("Authorization", scheme+accessToken)
	req.Header.Set("Accept", "application/json")
	var out json.RawMessage
	if err := p.call(req, key, "userinfo endpoint", &out); err != nil {
		return nil, err
	}
	if len(out) == 0 || out[0] != '{' {
		return nil, fmt.Errorf("%w: userinfo endpoint: not a JSON object", errBadAnswer)
	}
	return out, nil
}

// call sends req, with proofs of key unless it is nil, and decodes a 2xx
// JSON answer into out, unless out is nil. A 4xx answer is an
// *oauthError; a 401 from a resource (RFC 6750) carries its code in
// WWW-Authenticate, or none.
func (p *provider) call(req *http.Request, key *dpop.Key, what string, out any) error {
	resp, err := p.clientFor(key).Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errUnreachable, what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProviderBody))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errUnreachable, what, err)
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && out == nil:
		return nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return fmt.Errorf("%w: %s: content type %q", errBadAnswer, what, ct)
		}
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%w: %s: %w", errBadAnswer, what, err)
		}
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s: %s", errUnreachable, what, resp.Status)
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		var b struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		json.Unmarshal(body, &b)
		switch {
		case b.Error != "":
		// A resource such as userinfo says 401 and 403 in its
		// WWW-Authenticate challenge (RFC 6750 section 3), not its body.
		case resp.StatusCode == http.StatusUnauthorized:
			b.Error = "invalid_token"
		case resp.StatusCode == http.StatusForbidden:
			b.Error = "insufficient_scope"
		default:
			// A bare 404 or 405 says nothing about the request: the
			// provider is misbehaving.
			return fmt.Errorf("%w: %s: %s", errBadAnswer, what, resp.Status)
		}
		return &oauthError{status: resp.StatusCode, code: b.Error, description: b.Description}
	default:
		return fmt.Errorf("%w: %s: %s", errBadAnswer, what, resp.Status)
	}
}
