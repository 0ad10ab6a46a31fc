package registration

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/admin/internal/rest"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// readMetadata reads a registration request. Unknown metadata is
// ignored, as RFC 7591 section 2 requires. On failure it has answered.
func readMetadata(w http.ResponseWriter, r *http.Request) (registry.Registration, bool) {
	var md registry.Registration
	raw, pe := rest.Body(w, r, false)
	if pe == nil && json.NewDecoder(bytes.NewReader(raw)).Decode(&md) != nil {
		pe = &rest.Error{Status: http.StatusBadRequest, Detail: "the body is not a JSON object of client metadata"}
	}
	if pe != nil {
		status := pe.Status
		if status != http.StatusRequestEntityTooLarge && status != http.StatusUnsupportedMediaType {
			status = http.StatusBadRequest
		}
		writeOAuthError(w, status, "invalid_client_metadata", pe.Detail)
		return md, false
	}
	return md, true
}

// applyMetadata returns base with the metadata md, defaulted as RFC 7591
// section 2 says. Registration never grants the management API's scopes:
// those are given by an administrator, through the API, and an update
// (base the registered client) may only keep them.
func applyMetadata(md registry.ClientMetadata, base registry.Client) (registry.Client, error) {
	var fields []rest.FieldProblem
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			fields = append(fields, rest.FieldProblem{Field: "response_types", Detail: "only code is supported"})
		}
	}
	scopes := strings.Fields(md.Scope)
	for _, sc := range scopes {
		// An update may keep what an administrator granted: RFC 7592
		// section 2.2 has the client send back what it read.
		if slices.Contains(registry.AdminScopes, sc) && !slices.Contains(base.Scopes, sc) {
			fields = append(fields, rest.FieldProblem{Field: "scope", Detail: sc + " cannot be registered: an administrator grants it"})
		}
	}
	if fields != nil {
		return base, &rest.Error{Status: http.StatusBadRequest, Slug: rest.ProblemInvalid, Detail: "invalid client metadata", Fields: fields}
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
func metadataOf(c registry.Client) registry.ClientMetadata {
	md := registry.ClientMetadata{RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, GrantTypes: c.GrantTypes,
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
func (s *Server) registration(c registry.ClientInfo, secret, token string) registry.RegistrationResponse {
	a := registry.RegistrationResponse{ClientMetadata: metadataOf(c.Client), ClientID: c.ClientID, ClientSecret: secret,
		ClientIDIssuedAt: c.CreatedAt.Unix(), RegistrationAccessToken: token,
		RegistrationClientURI: s.cfg.Issuer + Path + "/" + url.PathEscape(c.ClientID)}
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
	var pe *rest.Error
	if !errors.As(err, &pe) {
		s.failed(w, r, err)
		return
	}
	code, desc := "invalid_client_metadata", []string{}
	for _, f := range pe.Fields {
		if strings.HasPrefix(f.Field, "redirect_uris") || strings.HasPrefix(f.Field, "post_logout_redirect_uris") {
			code = "invalid_redirect_uri"
		}
		desc = append(desc, strings.TrimPrefix(f.Field+": "+f.Detail, ": "))
	}
	if len(desc) == 0 {
		desc = append(desc, pe.Detail)
	}
	writeOAuthError(w, http.StatusBadRequest, code, strings.Join(desc, "; "))
}

// writeOAuthError answers an OAuth error object (RFC 6749 section 5.2).
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	rest.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc}, "")
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
	rest.WriteJSON(w, status, body, "")
}
