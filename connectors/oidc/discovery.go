package oidc

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/internal/flow"
)

// upstream is what discovery learnt of the provider, kept once it is known.
type upstream struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	// keys probes the key set's fetches, which go-oidc makes with a context
	// of its own.
	keys *probe
	// issParameter: the provider sends iss in authorization responses and
	// it is then required (RFC 9207 section 3).
	issParameter bool
	// postSecret: the provider takes client_secret_post but not
	// client_secret_basic.
	postSecret bool
}

// metadata is the part of the discovery document (OpenID Connect Discovery
// section 3, RFC 8414) go-oidc does not read for us.
type metadata struct {
	JWKSURI           string   `json:"jwks_uri"`
	IssParameter      bool     `json:"authorization_response_iss_parameter_supported"`
	AuthMethods       []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenAlgorithms []string `json:"id_token_signing_alg_values_supported"`
}

// asymmetric are the ID token algorithms accepted: a provider's HS256
// would be keyed with the client secret, and none is never acceptable.
var asymmetric = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// discovery finds the provider when it is first needed and keeps trying
// until it answers, so that a provider down when Portcullis starts costs
// its own sign-ins only, and only until it is back.
type discovery struct {
	issuer, clientID string
	client           *http.Client
	// turn lets one caller at a time discover; the others wait for it, or
	// for their context.
	turn chan struct{}
	done atomic.Pointer[upstream]
}

func newDiscovery(issuer, clientID string, client *http.Client) *discovery {
	return &discovery{issuer: issuer, clientID: clientID, client: client, turn: make(chan struct{}, 1)}
}

// get returns the provider, discovering it if no earlier call did. Its
// failure wraps connectors.ErrUpstream: the next call tries again.
func (d *discovery) get(ctx context.Context) (*upstream, error) {
	if u := d.done.Load(); u != nil {
		return u, nil
	}
	select {
	case d.turn <- struct{}{}:
		defer func() { <-d.turn }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: discovery of %s: %w", connectors.ErrUpstream, d.issuer, ctx.Err())
	}
	if u := d.done.Load(); u != nil {
		return u, nil
	}
	u, err := d.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %s", connectors.ErrUpstream, d.issuer, flow.Bound(err.Error()))
	}
	d.done.Store(u)
	return u, nil
}

// discover fetches the discovery document and prepares the ID token
// verifier on the provider's key set.
func (d *discovery) discover(ctx context.Context) (*upstream, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, d.client), d.issuer)
	if err != nil {
		return nil, err
	}
	var m metadata
	if err := p.Claims(&m); err != nil {
		return nil, err
	}
	if m.JWKSURI == "" {
		return nil, fmt.Errorf("the discovery document has no jwks_uri")
	}
	algs := slices.DeleteFunc(slices.Clone(m.IDTokenAlgorithms), func(a string) bool { return !slices.Contains(asymmetric, a) })
	if len(algs) == 0 {
		algs = []string{oidc.RS256} // OpenID Connect Discovery section 3's default
	}
	// The key set outlives this request: it refreshes with its own
	// context, which carries its probe.
	keysCtx, keys := withProbe(context.Background())
	keySet := oidc.NewRemoteKeySet(oidc.ClientContext(keysCtx, d.client), m.JWKSURI)
	methods := m.AuthMethods
	if len(methods) == 0 {
		methods = []string{"client_secret_basic"} // Discovery section 3's default
	}
	return &upstream{
		provider:     p,
		verifier:     oidc.NewVerifier(d.issuer, keySet, &oidc.Config{ClientID: d.clientID, SupportedSigningAlgs: algs}),
		keys:         keys,
		issParameter: m.IssParameter,
		postSecret:   !slices.Contains(methods, "client_secret_basic") && slices.Contains(methods, "client_secret_post"),
	}, nil
}
