package authserver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/authserver/internal/wire"
)

// API is a protected resource: its identifier is the audience of the access
// tokens issued for it (RFC 8707) and it defines the scopes clients may be
// granted for it.
type API struct {
	Identifier string
	Name       string
	Scopes     []string
}

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
// requested is the parsed scope parameter (nil when absent: every allowed
// scope), resources the RFC 8707 resource indicators. With resources, the
// token carries only scopes those APIs define; either way its audience is
// every (requested) API that defines a granted scope, so no token names an
// audience it grants nothing at.
func (s *Server) grant(allowed, requested, resources []string) (scopes, audience []string, e *Error) {
	for _, sc := range requested {
		if !slices.Contains(allowed, sc) {
			return nil, nil, errInvalidScope(fmt.Sprintf("the client may not request scope %q", wire.Clip(sc)))
		}
	}
	var apis []*API
	for _, res := range resources {
		api, ok := s.apis[res]
		if !ok {
			return nil, nil, errInvalidTarget(fmt.Sprintf("unknown resource %q", wire.Clip(res)))
		}
		apis = append(apis, api)
	}
	candidates := requested
	if candidates == nil {
		candidates = allowed
	}
	for _, sc := range candidates {
		owners := s.scopeAPIs[sc]
		if len(apis) > 0 {
			owners = slices.DeleteFunc(slices.Clone(owners), func(a *API) bool { return !slices.Contains(apis, a) })
		}
		if len(owners) == 0 {
			if requested != nil {
				return nil, nil, errInvalidScope(fmt.Sprintf("scope %q is not defined by the requested resource", wire.Clip(sc)))
			}
			continue
		}
		scopes = append(scopes, sc)
		for _, a := range owners {
			if !slices.Contains(audience, a.Identifier) {
				audience = append(audience, a.Identifier)
			}
		}
	}
	if len(scopes) == 0 {
		return nil, nil, errInvalidScope("no scope can be granted: the client is allowed none of the requested resource's scopes")
	}
	return scopes, audience, nil
}
