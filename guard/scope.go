package guard

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/internal/authscheme"
)

// RequireScopes returns middleware that lets a request through only when
// its Caller was granted every one of scopes; otherwise it answers 403
// insufficient_scope with the scopes in the challenge's scope attribute
// (RFC 6750 section 3.1). It must run inside Middleware; a request that did
// not pass through it is refused with 401, so a wiring mistake fails
// closed. It panics if a scope is not a valid scope-token (RFC 6749
// section 3.3), as http.ServeMux does for bad patterns: that is a
// programming error found at start-up.
func (g *Guard) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	for _, s := range scopes {
		if !ValidScope(s) {
			panic(fmt.Sprintf("guard: RequireScopes: invalid scope %q", s))
		}
	}
	required := strings.Join(scopes, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller, ok := g.inside(w, r)
			if !ok {
				return
			}
			for _, s := range scopes {
				if !caller.HasScope(s) {
					e := newError(http.StatusForbidden, CodeInsufficientScope, ErrInsufficientScope, nil)
					e.Scope = required
					g.reject(w, e, g.schemeChallenge(caller))
					g.refused(r, caller, e)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inside returns the Caller Middleware found for r. Without one, a check
// was wired outside Middleware: it refuses the request with 401, failing
// closed, and reports false.
func (g *Guard) inside(w http.ResponseWriter, r *http.Request) (*Caller, bool) {
	caller, ok := CallerFromContext(r.Context())
	if !ok {
		e := &Error{Status: http.StatusUnauthorized, Description: describe(ErrNoToken), Err: ErrNoToken}
		g.reject(w, e, authscheme.Challenge{Realm: g.s.Realm, Bearer: true})
		g.observe(r, nil, e)
	}
	return caller, ok
}

// schemeChallenge is the challenge of the scheme caller's token came
// under: an authenticated caller needs no other.
func (g *Guard) schemeChallenge(caller *Caller) authscheme.Challenge {
	if caller.jkt != "" && g.proofs != nil {
		return authscheme.Challenge{Realm: g.s.Realm, Algs: g.proofs.algs, Used: authscheme.DPoP}
	}
	return authscheme.Challenge{Realm: g.s.Realm, Bearer: true, Used: authscheme.Bearer}
}

// ValidScope reports whether s is a scope-token: 1*( %x21 / %x23-5B /
// %x5D-7E ) (RFC 6749 section 3.3), which also makes it safe inside the
// quoted scope attribute of a challenge. RequireScopes panics on any other
// string; configuration loaders check with ValidScope first.
func ValidScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
