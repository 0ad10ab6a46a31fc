package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/store"
)

// checkAgentClient checks at start, when the OAuth Agent's provider is
// the authorization server of this process (oauth_agent.issuer is
// issuer), that the agent's client is registered there, among the
// configuration file's clients or the stored ones, with the agent's
// redirect URI, which a confidential web client must register exactly:
// otherwise the first sign-in would fail, long after the start. Its
// secret is not checked: a wrong one shows at the first code exchange,
// as invalid_client. An agent of another issuer cannot be checked here.
func checkAgentClient(ctx context.Context, cfg *config.Config, configured []store.Client, st store.Store) error {
	ag := cfg.OAuthAgent
	if ag == nil || ag.Issuer != cfg.Issuer {
		return nil
	}
	i := slices.IndexFunc(configured, func(c store.Client) bool { return c.ID == ag.ClientID })
	var c store.Client
	if i >= 0 {
		c = configured[i]
	} else {
		var err error
		c, err = st.GetClient(ctx, ag.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("oauth_agent.client_id: %q is no client of this server (not in clients, not stored): add it to clients or create it with portcullis clients create", ag.ClientID)
		}
		if err != nil {
			return fmt.Errorf("oauth_agent.client_id: look up client %q: %w", ag.ClientID, err)
		}
	}
	if !slices.Contains(c.RedirectURIs, ag.RedirectURI) {
		return fmt.Errorf("oauth_agent.redirect_uri: %q is not among the redirect_uris of client %q", ag.RedirectURI, ag.ClientID)
	}
	return nil
}
