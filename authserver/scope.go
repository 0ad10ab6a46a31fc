package authserver

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/store"
)

// ValidScopeToken reports whether s is a scope-token of RFC 6749 section 3.3:
// one or more of %x21 / %x23-5B / %x5D-7E.
func ValidScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

// parseScope splits a scope parameter (RFC 6749 section 3.3) into its
// distinct tokens, in request order.
func parseScope(s string) ([]string, *Error) {
	var out []string
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			continue
		}
		if !ValidScopeToken(tok) {
			return nil, errInvalidScope(fmt.Sprintf("scope %q contains characters RFC 6749 does not allow", wire.Clip(tok)))
		}
		if !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out, nil
}

// grant decides the scopes and audiences of a client credentials token.
//
// requested is the parsed scope parameter (nil when absent: every scope
// the client is allowed), resources the RFC 8707 resource indicators. With
// resources, the token carries only scopes those APIs define, and a
// resource it would carry no scope at is refused as invalid_target (RFC
// 8707 section 2); either way its audience is every (requested) API that
// defines a granted scope, so no token names an audience it grants nothing
// at. Without resources, the client's audience policy (oneAudience) may
// refuse a token for several APIs.
func (cat *catalog) grant(c store.Client, requested, resources []string) (scopes, audience []string, e *Error) {
	allowed := c.Scopes
	for _, sc := range requested {
		if !slices.Contains(allowed, sc) {
			return nil, nil, errInvalidScope(fmt.Sprintf("the client may not request scope %q", wire.Clip(sc)))
		}
	}
	for _, res := range resources {
		if _, ok := cat.apis[res]; !ok {
			return nil, nil, errInvalidTarget(fmt.Sprintf("unknown resource %q", wire.Clip(res)))
		}
	}
	candidates := requested
	if candidates == nil {
		candidates = allowed
	}
	for _, sc := range candidates {
		if !cat.definedWithin(sc, resources) {
			if requested != nil {
				return nil, nil, errInvalidScope(fmt.Sprintf("scope %q is not defined by the requested resource", wire.Clip(sc)))
			}
			continue
		}
		scopes = append(scopes, sc)
	}
	if e := cat.everyResourceScoped(resources, scopes); e != nil {
		return nil, nil, e
	}
	if len(scopes) == 0 {
		return nil, nil, errInvalidScope("no scope can be granted: the client is allowed none of the requested resource's scopes")
	}
	audience = cat.audience(scopes, resources)
	if len(resources) == 0 {
		if e := cat.oneAudience(c, audience, requested != nil); e != nil {
			return nil, nil, e
		}
	}
	return scopes, audience, nil
}

// oneAudience applies the client's default audience policy to a token
// requested without resource. Under store.AudienceSingle a token whose
// scopes belong to several APIs, which each of them would accept and so
// could replay at the others, is refused as invalid_target (RFC 8707
// section 2), naming the APIs to choose from. Scopes of no API (the OpenID
// Connect ones) leave audience empty of APIs and never count.
// scopeRequested tells whether the scopes were asked for or are every
// scope the client is allowed, which the description explains.
func (cat *catalog) oneAudience(c store.Client, audience []string, scopeRequested bool) *Error {
	if len(audience) < 2 || cmp.Or(c.DefaultAudience, cat.defaultAudience) == store.AudienceAll {
		return nil
	}
	apis := strings.Join(audience, ", ")
	if !scopeRequested {
		return errInvalidTarget("no scope was requested and the client's scopes belong to several APIs (" + apis +
			"): pass resource to choose one, or scope")
	}
	return errInvalidTarget("the scopes belong to several APIs (" + apis + "): pass resource to choose one")
}

// everyResourceScoped refuses, as invalid_target (RFC 8707 section 2), a
// requested resource that defines none of scopes: the client has no scope
// there (or asked for none), so a token for it would grant nothing.
func (cat *catalog) everyResourceScoped(resources, scopes []string) *Error {
	for _, res := range resources {
		if !slices.ContainsFunc(scopes, func(sc string) bool { return cat.definedWithin(sc, []string{res}) }) {
			return errInvalidTarget(fmt.Sprintf("no requested or allowed scope is defined by resource %q", wire.Clip(res)))
		}
	}
	return nil
}

// definedWithin reports whether an API among resources (any API, when there
// are none) defines the scope.
func (cat *catalog) definedWithin(scope string, resources []string) bool {
	return slices.ContainsFunc(cat.scopeAPIs[scope], func(a *API) bool { return within(a, resources) })
}

func within(a *API, resources []string) bool {
	return len(resources) == 0 || slices.Contains(resources, a.Identifier)
}

// audience is every API among resources that defines one of the scopes; a
// token with no API scope is for the issuer's own userinfo endpoint.
func (cat *catalog) audience(scopes, resources []string) []string {
	var aud []string
	for _, sc := range scopes {
		for _, api := range cat.scopeAPIs[sc] {
			if within(api, resources) && !slices.Contains(aud, api.Identifier) {
				aud = append(aud, api.Identifier)
			}
		}
	}
	if len(aud) == 0 {
		aud = []string{cat.issuer}
	}
	return aud
}
