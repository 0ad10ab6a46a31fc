package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// metadata is a client's metadata as dynamic registration spells it
// (RFC 7591 section 2, OpenID Connect Dynamic Client Registration section
// 2): what a client may say about itself. What only an administrator may
// decide (skipping consent, introspection, rate limits, lifetimes) is not
// here.
type metadata struct {
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	// Scope is space-separated (RFC 7591 section 2).
	Scope                    string         `json:"scope,omitempty"`
	JWKSURI                  string         `json:"jwks_uri,omitempty"`
	JWKS                     map[string]any `json:"jwks,omitempty"`
	PostLogoutRedirectURIs   []string       `json:"post_logout_redirect_uris,omitempty"`
	ApplicationType          string         `json:"application_type,omitempty"`
	IDTokenSignedResponseAlg string         `json:"id_token_signed_response_alg,omitempty"`
	RequirePAR               bool           `json:"require_pushed_authorization_requests,omitempty"`
	DPoPBoundAccessTokens    bool           `json:"dpop_bound_access_tokens,omitempty"`
}

// registrationRequest is the body of a registration or of its update,
// which names the client and may repeat its secret (RFC 7592 section 2.2).
type registrationRequest struct {
	metadata
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// registrationAnswer is a client information response (RFC 7591 section
// 3.2.1, RFC 7592 section 3).
type registrationAnswer struct {
	metadata
	ClientID         string `json:"client_id"`
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientIDIssuedAt int64  `json:"client_id_issued_at"`
	// ClientSecretExpiresAt is 0, never, for a client with a secret.
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token"`
	RegistrationClientURI   string `json:"registration_client_uri"`
}

// readMetadata reads a registration request. Unknown metadata is
// ignored, as RFC 7591 section 2 requires. On failure it has answered.
func readMetadata(w http.ResponseWriter, r *http.Request) (registrationRequest, bool) {
	var md registrationRequest
	raw, pe := bodyOf(w, r, false)
	if pe == nil && json.NewDecoder(bytes.NewReader(raw)).Decode(&md) != nil {
		pe = &problemError{status: http.StatusBadRequest, detail: "the body is not a JSON object of client metadata"}
	}
	if pe != nil {
		status := pe.status
		if status != http.StatusRequestEntityTooLarge && status != http.StatusUnsupportedMediaType {
			status = http.StatusBadRequest
		}
		writeOAuthError(w, status, "invalid_client_metadata", pe.detail)
		return md, false
	}
	return md, true
}

// applyTo returns base with the metadata of md, defaulted as RFC 7591
// section 2 says. Registration never grants the management API's scopes:
// those are given by an administrator, through the API, and an update
// (base the registered client) may only keep them.
func (md metadata) applyTo(base registry.Client) (registry.Client, error) {
	var fields []FieldProblem
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			fields = append(fields, FieldProblem{Field: "response_types", Detail: "only code is supported"})
		}
	}
	scopes := strings.Fields(md.Scope)
	for _, sc := range scopes {
		// An update may keep what an administrator granted: RFC 7592
		// section 2.2 has the client send back what it read.
		if slices.Contains(registry.AdminScopes, sc) && !slices.Contains(base.Scopes, sc) {
			fields = append(fields, FieldProblem{Field: "scope", Detail: sc + " cannot be registered: an administrator grants it"})
		}
	}
	if fields != nil {
		return base, &problemError{status: http.StatusBadRequest, slug: problemInvalid, detail: "invalid client metadata", fields: fields}
	}
	base.RedirectURIs, base.PostLogoutRedirectURIs, base.Name, base.LogoURI = md.RedirectURIs, md.PostLogoutRedirectURIs, md.ClientName, md.LogoURI
	base.TokenEndpointAuthMethod = md.TokenEndpointAuthMethod
	if base.TokenEndpointAuthMethod == "" {
		base.TokenEndpointAuthMethod = store.AuthSecretBasic
	}
	base.GrantTypes = md.GrantTypes
	if len(base.GrantTypes) == 0 {
		base.GrantTypes = []string{"authorization_code"}
	}
	base.Scopes, base.JWKS, base.JWKSURI, base.ApplicationType = scopes, md.JWKS, md.JWKSURI, md.ApplicationType
	base.IDTokenSignedResponseAlg, base.RequirePAR, base.DPoPBoundAccessTokens = md.IDTokenSignedResponseAlg, md.RequirePAR, md.DPoPBoundAccessTokens
	return base, nil
}

// metadataOf is a client's metadata as registration spells it.
func metadataOf(c registry.Client) metadata {
	md := metadata{RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, GrantTypes: c.GrantTypes,
		ClientName: c.Name, LogoURI: c.LogoURI, Scope: strings.Join(c.Scopes, " "), JWKSURI: c.JWKSURI, JWKS: c.JWKS,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, ApplicationType: c.ApplicationType,
		IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg, RequirePAR: c.RequirePAR, DPoPBoundAccessTokens: c.DPoPBoundAccessTokens}
	if slices.Contains(c.GrantTypes, "authorization_code") {
		md.ResponseTypes = []string{"code"}
	}
	return md
}

// registration is the client information response for c, with its
// secret when one was just made, and its registration access token.
func (s *Server) registration(c registry.ClientInfo, secret, token string) registrationAnswer {
	a := registrationAnswer{metadata: metadataOf(c.Client), ClientID: c.ClientID, ClientSecret: secret,
		ClientIDIssuedAt: c.CreatedAt.Unix(), RegistrationAccessToken: token,
		RegistrationClientURI: s.cfg.Issuer + RegisterPath + "/" + url.PathEscape(c.ClientID)}
	if store.UsesSecret(c.TokenEndpointAuthMethod) {
		never := int64(0)
		a.ClientSecretExpiresAt = &never
	}
	return a
}

// writeRegistrationError answers a registration's error (RFC 7591
// section 3.2.2): invalid_redirect_uri when a redirect URI is at fault,
// else invalid_client_metadata, describing each bad field; a store
// failure as the management API does.
func (s *Server) writeRegistrationError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *problemError
	if !errors.As(err, &pe) {
		s.failed(w, r, err)
		return
	}
	code, desc := "invalid_client_metadata", []string{}
	for _, f := range pe.fields {
		if strings.HasPrefix(f.Field, "redirect_uris") || strings.HasPrefix(f.Field, "post_logout_redirect_uris") {
			code = "invalid_redirect_uri"
		}
		desc = append(desc, strings.TrimPrefix(f.Field+": "+f.Detail, ": "))
	}
	if len(desc) == 0 {
		desc = append(desc, pe.detail)
	}
	writeOAuthError(w, http.StatusBadRequest, code, strings.Join(desc, "; "))
}

// writeOAuthError answers an OAuth error object (RFC 6749 section 5.2).
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc}, "")
}

// writeBearerError answers a refused token as RFC 6750 section 3 says:
// without an error code when there was no token; scope names what an
// insufficient_scope token lacks.
func writeBearerError(w http.ResponseWriter, status int, code, desc, scope string) {
	ch := `Bearer realm="portcullis registration"`
	if code != "" {
		ch += `, error="` + code + `", error_description="` + desc + `"`
	}
	if scope != "" {
		ch += `, scope="` + scope + `"`
	}
	w.Header().Set("WWW-Authenticate", ch)
	body := map[string]string{}
	if code != "" {
		body["error"], body["error_description"] = code, desc
	}
	writeJSON(w, status, body, "")
}
