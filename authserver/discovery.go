package authserver

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/mfa"
)

// metadata builds the authorization server metadata (RFC 8414 section 2),
// which also serves as the OpenID Connect discovery document. It lists what
// is implemented and nothing else. request_uri_parameter_supported is false
// because only request_uris from the PAR endpoint are accepted, never ones
// to fetch. apiScopes are the scopes the APIs define, each once.
func (s *Server) metadata(apiScopes []string) ([]byte, error) {
	scopes := append(slices.Clone(OIDCScopes), apiScopes...)
	authMethods := []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	var assertionAlgs []string
	for _, a := range AssertionAlgorithms {
		assertionAlgs = append(assertionAlgs, string(a))
	}
	m := map[string]any{
		"issuer":                                s.cfg.Issuer,
		"authorization_endpoint":                s.endpoints.authorize,
		"token_endpoint":                        s.endpoints.token,
		"userinfo_endpoint":                     s.endpoints.userinfo,
		"jwks_uri":                              s.endpoints.jwks,
		"introspection_endpoint":                s.endpoints.introspect,
		"revocation_endpoint":                   s.endpoints.revoke,
		"pushed_authorization_request_endpoint": s.endpoints.par,
		"end_session_endpoint":                  s.endpoints.logout,
		"grant_types_supported":                 []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"code_challenge_methods_supported":      []string{"S256"},
		"subject_types_supported":               []string{"public"},
		"scopes_supported":                      scopes,
		"claims_supported":                      supportedClaims(),
		// OpenID Connect Discovery section 3: the classes acr_values may
		// ask for and tokens' acr states, weakest first.
		"acr_values_supported":    mfa.ACRValues,
		"prompt_values_supported": []string{"none", "login", "consent", "select_account"},
		// Token endpoint authentication; "none" is for public clients,
		// which need PKCE.
		"token_endpoint_auth_methods_supported":                    append(slices.Clone(authMethods), "none"),
		"token_endpoint_auth_signing_alg_values_supported":         assertionAlgs,
		"introspection_endpoint_auth_methods_supported":            authMethods,
		"introspection_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"revocation_endpoint_auth_methods_supported":               authMethods,
		"revocation_endpoint_auth_signing_alg_values_supported":    assertionAlgs,
		"id_token_signing_alg_values_supported":                    s.keys.Algorithms(),
		"authorization_response_iss_parameter_supported":           true,
		"require_pushed_authorization_requests":                    false,
		"request_parameter_supported":                              false,
		"request_uri_parameter_supported":                          false,
		"claims_parameter_supported":                               false,
		"portcullis_revocation_list_endpoint":                      s.endpoints.revocations,
		// RFC 9449 section 5.1: asymmetric algorithms only.
		"dpop_signing_alg_values_supported": s.proofs.Algorithms(),
	}
	// RFC 8414 section 2: only when registration is open.
	if s.endpoints.registration != "" {
		m["registration_endpoint"] = s.endpoints.registration
	}
	return json.MarshalIndent(m, "", "  ")
}

// handleDiscovery serves the metadata at both well-known paths: RFC 8414's
// oauth-authorization-server and OpenID Connect's openid-configuration.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	w.Write(s.catalog().discovery)
}
