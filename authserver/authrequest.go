package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/authserver/signin"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/store"
)

// An authorization request (RFC 6749 section 4.1.1) is validated here for
// both of its doors: the PAR endpoint (par.go), and the authorization
// endpoint, which the sign-in pages serve (package signin) and which asks
// through signinCore.Authorization (signin.go).

const (
	// maxParamLength bounds free-text parameters (state, nonce, hints).
	maxParamLength = 1024
	// maxResources bounds the RFC 8707 resource parameters of a request.
	maxResources = 10
	// maxACRValues bounds the classes one request may list; the server
	// knows three (mfa.ACRValues).
	maxACRValues = 8
)

// authzError is a refused authorization request. With a redirect URI it is
// sent back to the client (RFC 6749 section 4.1.2.1); without one (unknown
// client, unregistered redirect URI) the user sees a page instead, because
// redirecting then would make the server an open redirector.
type authzError struct {
	err      *Error
	redirect string
	state    string
}

func (e *authzError) Error() string { return e.err.Error() }

// parseAuthorization validates an authorization request. client is the
// authenticated client at the PAR endpoint and nil at the authorization
// endpoint; pushed says the request came through PAR.
func (s *Server) parseAuthorization(ctx context.Context, p url.Values, client *store.Client, pushed bool) (store.AuthRequest, store.Client, *authzError) {
	page := func(desc string) *authzError { return &authzError{err: errInvalidRequest(desc)} }
	var c store.Client
	if client != nil {
		c = *client
		if id := p.Get("client_id"); id != "" && id != c.ID {
			return store.AuthRequest{}, c, page("client_id does not match the authenticated client")
		}
	} else {
		id := p.Get("client_id")
		if len(p["client_id"]) != 1 || id == "" {
			return store.AuthRequest{}, c, page("The request does not name one client (client_id).")
		}
		var err error
		if c, err = s.client(ctx, id); errors.Is(err, errUnknownClient) {
			return store.AuthRequest{}, c, page("The application that sent you here is not registered.")
		} else if err != nil {
			return store.AuthRequest{}, c, &authzError{err: errServer()}
		}
	}
	if len(p["redirect_uri"]) > 1 {
		return store.AuthRequest{}, c, page("The request names more than one redirect_uri.")
	}
	oidc := slices.Contains(strings.Fields(p.Get("scope")), ScopeOpenID)
	redirect, given, ok := matchRedirect(c, p.Get("redirect_uri"), oidc)
	if !ok {
		return store.AuthRequest{}, c, page("The redirect_uri is not registered for this application.")
	}
	state := p.Get("state")
	fail := func(e *Error) (store.AuthRequest, store.Client, *authzError) {
		return store.AuthRequest{}, c, &authzError{err: e, redirect: redirect, state: state}
	}
	for k, vs := range p {
		if len(vs) > 1 && !repeatable[k] {
			return fail(errInvalidRequest(fmt.Sprintf("parameter %q is repeated", wire.Clip(k))))
		}
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return fail(errInvalidRequest("parameters must be valid UTF-8"))
			}
		}
	}
	// Bounds keep a stored pending request small: anyone can make one.
	for _, k := range []string{"state", "nonce", "login_hint", "ui_locales", "scope", "acr_values"} {
		if len(p.Get(k)) > maxParamLength {
			return fail(errInvalidRequest(k + " is too long"))
		}
	}
	if len(p["resource"]) > maxResources {
		return fail(errInvalidRequest(fmt.Sprintf("at most %d resource parameters are accepted", maxResources)))
	}
	if !slices.Contains(c.GrantTypes, grantAuthorizationCode) {
		return fail(errUnauthorizedClient("the client is not registered for the authorization code grant"))
	}
	if p.Has("request") {
		return fail(newError(http.StatusBadRequest, "request_not_supported", "request objects are not supported; use pushed authorization requests"))
	}
	if c.RequirePAR && !pushed {
		return fail(errInvalidRequest("this client must push its authorization requests first (RFC 9126)"))
	}
	switch rt := p.Get("response_type"); rt {
	case "code":
	case "":
		return fail(errInvalidRequest("response_type is required"))
	default:
		return fail(newError(http.StatusBadRequest, "unsupported_response_type", "only response_type=code is supported"))
	}
	if rm := p.Get("response_mode"); rm != "" && rm != "query" {
		return fail(errInvalidRequest("only response_mode=query is supported"))
	}
	scopes, e := parseScope(p.Get("scope"))
	if e != nil {
		return fail(e)
	}
	if len(scopes) == 0 {
		return fail(errInvalidScope("scope is required"))
	}
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			return fail(errInvalidScope(fmt.Sprintf("the client may not request scope %q", wire.Clip(sc))))
		}
	}
	challenge := p.Get("code_challenge")
	if challenge == "" {
		return fail(errInvalidRequest("code_challenge is required: PKCE (RFC 7636) with S256"))
	}
	if p.Get("code_challenge_method") != "S256" {
		return fail(errInvalidRequest("code_challenge_method must be S256; plain is not accepted"))
	}
	if len(challenge) != 43 || !isBase64URL(challenge) {
		return fail(errInvalidRequest("code_challenge must be the 43-character base64url SHA-256 of the verifier"))
	}
	prompt := strings.Fields(p.Get("prompt"))
	for _, v := range prompt {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, v) {
			return fail(errInvalidRequest(fmt.Sprintf("prompt %q is not supported", wire.Clip(v))))
		}
	}
	if slices.Contains(prompt, "none") && len(prompt) > 1 {
		return fail(errInvalidRequest("prompt=none cannot be combined with other values"))
	}
	var maxAge *int64
	if v := p.Get("max_age"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fail(errInvalidRequest("max_age must be a non-negative number of seconds"))
		}
		maxAge = &n
	}
	// OpenID Connect Core section 3.1.2.1: acr_values is voluntary, so a
	// class the server does not know is kept and ignored (mfa.Satisfies),
	// not refused; only the count is bounded.
	acrValues := strings.Fields(p.Get("acr_values"))
	if len(acrValues) > maxACRValues {
		return fail(errInvalidRequest(fmt.Sprintf("at most %d acr_values are accepted", maxACRValues)))
	}
	resources := p["resource"]
	cat := s.catalog()
	for _, res := range resources {
		if _, ok := cat.apis[res]; !ok {
			return fail(errInvalidTarget(fmt.Sprintf("unknown resource %q", wire.Clip(res))))
		}
	}
	if e := cat.everyResourceScoped(resources, scopes); e != nil {
		return fail(e)
	}
	// RFC 9449 section 10: the code will be redeemed only with a proof of
	// this key.
	jkt := p.Get("dpop_jkt")
	if p.Has("dpop_jkt") && !dpop.ValidThumbprint(jkt) {
		return fail(errInvalidRequest("dpop_jkt must be the base64url SHA-256 JWK thumbprint of a key (43 characters)"))
	}
	connector := p.Get("connector")
	if _, offered := signin.OfferedConnector(s.cfg.Connectors, c, connector); p.Has("connector") && !offered {
		return fail(errInvalidRequest(fmt.Sprintf("connector %q is not offered to this client", wire.Clip(connector))))
	}
	return store.AuthRequest{
		Connector: connector,
		ClientID:  c.ID, RedirectURI: redirect, RedirectURIGiven: given, Scopes: scopes, State: state,
		Nonce: p.Get("nonce"), CodeChallenge: challenge, Prompt: prompt, MaxAge: maxAge,
		LoginHint: p.Get("login_hint"), Resources: resources, DPoPJKT: jkt, ACRValues: acrValues,
	}, c, nil
}

// matchRedirect finds the redirect URI: the given one if registered, by
// exact string comparison; a native client's loopback URI with any port
// (RFC 8252 section 7.3); or, if none is given, the only registered one,
// except for OpenID Connect, which requires the parameter.
func matchRedirect(c store.Client, given string, oidc bool) (uri string, wasGiven, ok bool) {
	if given == "" {
		if len(c.RedirectURIs) == 1 && !oidc {
			return c.RedirectURIs[0], false, true
		}
		return "", false, false
	}
	if slices.Contains(c.RedirectURIs, given) {
		return given, true, true
	}
	if c.ApplicationType != "native" {
		return "", false, false
	}
	u, err := url.Parse(given)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
		return "", false, false
	}
	for _, reg := range c.RedirectURIs {
		ru, err := url.Parse(reg)
		if err == nil && ru.Scheme == u.Scheme && ru.Hostname() == u.Hostname() && ru.Path == u.Path && ru.RawQuery == u.RawQuery && u.Fragment == "" {
			return given, true, true
		}
	}
	return "", false, false
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
