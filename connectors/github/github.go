package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/connectors/internal/flow"
)

// Connector signs people in with GitHub. It is safe for concurrent use.
type Connector struct {
	cfg    Config
	client *http.Client
}

var _ connectors.Redirect = (*Connector)(nil)

// New validates cfg and returns its connector; it does not contact
// GitHub. client makes every request; nil, or a client without a
// timeout, is bounded by flow.Timeout.
func New(cfg Config, client *http.Client) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("github: %w", err)
	}
	return &Connector{cfg: cfg.withDefaults(), client: flow.Client(client)}, nil
}

// oauth2 returns the x/oauth2 configuration of one sign-in at callback.
// GitHub takes the client's credentials in the body.
func (c *Connector) oauth2(callback string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.cfg.BaseURL + "/login/oauth/authorize",
			TokenURL:  c.cfg.BaseURL + "/login/oauth/access_token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: callback, Scopes: c.cfg.Scopes,
	}
}

// Start implements connectors.Redirect: GitHub's authorization request
// with a fresh state and an S256 PKCE challenge (RFC 7636 section 4.3);
// opts.LoginHint becomes GitHub's login parameter, which suggests the
// account. opts.Prompt and MaxAge are dropped: GitHub has no way to be
// asked to authenticate the person again.
func (c *Connector) Start(_ context.Context, callback string, so connectors.StartOptions) (string, connectors.State, error) {
	st := flow.NewState(false)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(st.Verifier)}
	if so.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login", so.LoginHint))
	}
	return c.oauth2(callback).AuthCodeURL(st.State, opts...), st, nil
}

// Finish implements connectors.Redirect: it checks the state, exchanges
// the code with the PKCE verifier, reads the profile with the access
// token, and refuses a person outside the allowed organisations.
func (c *Connector) Finish(ctx context.Context, callback string, st connectors.State, query url.Values) (connectors.Identity, error) {
	code, err := flow.Callback(st, query)
	if err != nil {
		return connectors.Identity{}, err
	}
	if st.Verifier == "" {
		return connectors.Identity{}, fmt.Errorf("%w: the sign-in's state has no verifier", connectors.ErrRefused)
	}
	tok, err := c.oauth2(callback).Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.client), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return connectors.Identity{}, flow.ExchangeError(err)
	}
	return c.profile(ctx, api{client: c.client, root: c.cfg.APIURL, token: tok.AccessToken})
}
