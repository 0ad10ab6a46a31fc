package authserver

import (
	"encoding/json"
	"net/http"
	"slices"
)

// metadata builds the authorization server metadata (RFC 8414 section 2),
// which also serves as the OpenID Connect discovery document. It lists what
// is implemented and nothing else.
func (s *Server) metadata() ([]byte, error) {
	var scopes []string
	for _, api := range s.cfg.APIs {
		for _, sc := range api.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	var assertionAlgs []string
	for _, a := range AssertionAlgorithms {
		assertionAlgs = append(assertionAlgs, string(a))
	}
	return json.MarshalIndent(map[string]any{
		"issuer":                 s.cfg.Issuer,
		"token_endpoint":         s.endpoints.token,
		"jwks_uri":               s.endpoints.jwks,
		"introspection_endpoint": s.endpoints.introspect,
		"revocation_endpoint":    s.endpoints.revoke,
		"grant_types_supported":  []string{grantClientCredentials},
		// No authorization endpoint is served, so no response type is.
		"response_types_supported":                                 []string{},
		"scopes_supported":                                         scopes,
		"token_endpoint_auth_methods_supported":                    authMethods,
		"token_endpoint_auth_signing_alg_values_supported":         assertionAlgs,
		"introspection_endpoint_auth_methods_supported":            authMethods,
		"introspection_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"revocation_endpoint_auth_methods_supported":               authMethods,
		"revocation_endpoint_auth_signing_alg_values_supported":    assertionAlgs,
		// The algorithms the server's keys sign with; resource servers
		// take their allow-list of access token algorithms from it.
		"id_token_signing_alg_values_supported": s.keys.Algorithms(),
		"portcullis_revocation_list_endpoint":   s.endpoints.revocations,
	}, "", "  ")
}

// handleDiscovery serves the metadata at both well-known paths: RFC 8414's
// oauth-authorization-server and OpenID Connect's openid-configuration.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	w.Write(s.discovery)
}
