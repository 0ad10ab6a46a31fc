package metrics

import (
	"net/http"
	"strconv"
)

// Label values come from fixed sets only: every distinct value is a new
// time series held in memory for the life of the process, so a value an
// unauthenticated caller chooses (a made-up method, an error code echoed
// from somewhere) would let anyone grow the process without bound.

// methodLabel is the request method when it is one of RFC 9110's, else
// "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

// statusLabel is the status code when it is a valid one, else "other".
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

// oauthErrors are the error codes the registries of RFC 6749 section 11.4,
// RFC 6750, RFC 7009, RFC 8707, RFC 9126, RFC 9449 and OpenID Connect Core
// section 3.1.2.6 define.
var oauthErrors = map[string]bool{
	"invalid_request": true, "invalid_client": true, "invalid_grant": true, "unauthorized_client": true,
	"unsupported_grant_type": true, "invalid_scope": true, "access_denied": true,
	"unsupported_response_type": true, "server_error": true, "temporarily_unavailable": true,
	"invalid_token": true, "insufficient_scope": true, "unsupported_token_type": true,
	"invalid_target": true, "invalid_request_uri": true, "invalid_request_object": true,
	"request_not_supported": true, "request_uri_not_supported": true,
	"invalid_dpop_proof": true, "use_dpop_nonce": true,
	"interaction_required": true, "login_required": true, "account_selection_required": true,
	"consent_required": true, "registration_not_supported": true,
}

// errorLabel is code when it is a registered OAuth error code, else
// "other".
func errorLabel(code string) string {
	if oauthErrors[code] {
		return code
	}
	return "other"
}
