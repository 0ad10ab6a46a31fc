package agent

import (
	"net/http"
	"net/url"
)

// logout is POST /logout: it revokes the refresh token at the provider,
// deletes every cookie and answers {"url": ...}, where the app sends the
// browser to end the provider's session: the end-session endpoint (OpenID
// Connect RP-Initiated Logout 1.0 section 2) with client_id and
// post_logout_redirect_uri when configured. The ID token is not sent as
// id_token_hint: the URL passes through the app's JavaScript, which must
// never see a token, so the provider asks the user to confirm instead.
// Without an end-session endpoint the URL is the post-logout redirect URI,
// or the redirect URI. It needs no session: signing out twice is not an
// error.
//
// Ending the provider's session need not end the refresh token's grant
// (offline access outlives it), so the agent revokes the token itself
// (RFC 7009), with its client authentication, when the provider publishes
// a revocation_endpoint. A failed revocation is logged, without the token,
// and the logout goes on: the user asked to be signed out of this browser,
// which clearing the cookies does, and the token, which no cookie holds any
// more, ends at its expiry. A refresh token cookie another path or host
// duplicated is no reason to keep a token alive: every copy that decrypts
// is revoked, the planted one (its planter's own token) included.
func (a *Agent) logout(w http.ResponseWriter, r *http.Request) *apiError {
	if a.provider.meta.RevocationEndpoint != "" {
		for _, rt := range a.reader.jar.openAll(r, a.logoutRefresh) {
			if err := a.provider.revoke(r.Context(), string(rt)); err != nil {
				a.log.WarnContext(r.Context(), "oauth agent: revoking the refresh token at logout failed; it stays valid until it expires", "err", err)
			}
		}
	}
	a.clearSession(w)
	a.reader.jar.clear(w, a.login)
	target := a.postLogout
	if target == "" {
		target = a.redirect.String()
	}
	if end := a.provider.meta.EndSessionEndpoint; end != "" {
		u, err := url.Parse(end)
		if err != nil {
			return providerFailure(err)
		}
		q := u.Query()
		q.Set("client_id", a.clientID)
		if a.postLogout != "" {
			q.Set("post_logout_redirect_uri", a.postLogout)
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	writeJSON(w, http.StatusOK, struct {
		URL string `json:"url"`
	}{target})
	return nil
}
