package authserver

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// Grant types (RFC 6749).
const (
	grantClientCredentials = "client_credentials"
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
)

// tokenResponse is the successful token response (RFC 6749 section 5.1,
// OpenID Connect Core section 3.1.3.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// handleToken is the token endpoint (RFC 6749 section 3.2). Every grant
// takes a DPoP proof (RFC 9449 section 5), checked once the client is
// known, and mandatory for a client with dpop_bound_access_tokens; the
// grant binds its tokens to the proof's key.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.setNonce(w)
	form, e := readForm(w, r)
	if e != nil {
		e.Render(w)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == "" {
		errInvalidRequest("grant_type is required").Render(w)
		return
	}
	client, e := s.authenticateClient(r, form)
	if e != nil {
		e.Render(w)
		return
	}
	// Over its limit, a client gets nothing more; such refusals are
	// counted (usage.RateLimited), not audited.
	if d := s.limitClient(r, client); !d.Allowed {
		errRateLimited(w, d, "this client sent too many token requests; retry after Retry-After seconds").Render(w)
		return
	}
	var handle func(w http.ResponseWriter, r *http.Request, form url.Values, c store.Client, jkt string) *Error
	switch grantType {
	case grantClientCredentials:
		handle = s.clientCredentials
	case grantAuthorizationCode:
		handle = s.authorizationCode
	case grantRefreshToken:
		handle = s.refresh
	default:
		errUnsupportedGrantType("grant_type " + wire.Clip(grantType) + " is not supported").Render(w)
		return
	}
	if !slices.Contains(client.GrantTypes, grantType) {
		errUnauthorizedClient("the client is not registered for grant_type " + grantType).Render(w)
		return
	}
	jkt, e := s.proofKey(r, s.endpoints.token, client.DPoPBoundAccessTokens)
	if e == nil {
		e = handle(w, r, form, client, jkt)
	}
	if e != nil {
		// Refused grants are security events: replayed codes, wrong
		// verifiers, reused or foreign refresh tokens and refused DPoP
		// proofs all land here.
		if e.Status < 500 {
			s.event(r, slog.LevelWarn, audit.TokenRefused, "grant_type", grantType,
				"client_id", client.ID, "error", e.Code, "description", e.Description, "remote", r.RemoteAddr)
		}
		e.Render(w)
	}
}

// issued answers a granted token request and records it: the audit event,
// the metric, the usage record of each API the token is for, and the
// response. jkt is the DPoP key the access token is bound to, if any: a
// thumbprint, not a secret.
func (s *Server) issued(w http.ResponseWriter, r *http.Request, grantType, clientID, sub string, at accessToken, jkt string, resp tokenResponse) *Error {
	kv := []any{"grant_type", grantType, "client_id", clientID, "sub", sub, "jti", at.jti}
	if jkt != "" {
		kv = append(kv, "jkt", jkt)
	}
	s.event(r, slog.LevelInfo, audit.TokenIssued, kv...)
	s.cfg.Observer.TokenIssued(grantType, clientID)
	if s.cfg.Usage != nil {
		e := usage.Event{Kind: usage.TokenIssued, Time: s.cfg.Now(), ClientID: clientID, Subject: sub, GrantType: grantType,
			TokenID: at.jti, Address: s.clientIP(r), UserAgent: r.UserAgent()}
		for i, aud := range at.aud {
			e.Audience, e.SameToken = aud, i > 0
			s.cfg.Usage.Observe(e)
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
