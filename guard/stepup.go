package guard

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// StepUp is what a route requires of the user's sign-in (RFC 9470): how
// it was made, as its acr claim names it, and how long ago, as auth_time
// tells. Both are checked when both are set.
type StepUp struct {
	// ACR lists the authentication context classes the route accepts
	// (for Portcullis, "mfa" and "phr": a second factor, or a phishing
	// resistant one); the token's acr must be one of them. An issuer
	// states the first class a client asked for that the sign-in met, so
	// list every class strong enough. Empty means any acr, or none.
	ACR []string
	// MaxAge is the longest time since the user's sign-in (its auth_time);
	// a token without auth_time does not meet it. It must be whole
	// seconds, as the challenge's max_age says it. Zero means any age.
	MaxAge time.Duration
}

// RequireAuthentication returns middleware that lets a request through
// only when its Caller's sign-in meets s; otherwise it answers 401
// insufficient_user_authentication with every requirement of s in the
// challenge's acr_values and max_age attributes (RFC 9470 section 3), so
// that a client that signs the user in again as they say meets them all
// at once. Like RequireScopes, it must run inside Middleware (a request
// that did not pass through it is refused with 401); put it inside
// RequireScopes, since signing in again gains no scope. It panics if s
// requires nothing, or holds a value ValidACR or ValidMaxAge refuses:
// that is a programming error found at start-up.
func (g *Guard) RequireAuthentication(s StepUp) func(http.Handler) http.Handler {
	if len(s.ACR) == 0 && s.MaxAge == 0 {
		panic("guard: RequireAuthentication: StepUp requires nothing")
	}
	for _, acr := range s.ACR {
		if !ValidACR(acr) {
			panic(fmt.Sprintf("guard: RequireAuthentication: invalid acr %q", acr))
		}
	}
	if !ValidMaxAge(s.MaxAge) {
		panic(fmt.Sprintf("guard: RequireAuthentication: invalid MaxAge %v", s.MaxAge))
	}
	acr := slices.Clone(s.ACR)
	acrValues := strings.Join(acr, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller, ok := g.inside(w, r)
			if !ok {
				return
			}
			if description := g.unmet(caller.signIn(), acr, s.MaxAge); description != "" {
				e := &Error{Status: http.StatusUnauthorized, Code: CodeInsufficientUserAuthentication,
					Description: description, ACRValues: acrValues, MaxAge: s.MaxAge, Err: ErrInsufficientUserAuthentication}
				g.reject(w, e, g.schemeChallenge(caller))
				g.refused(r, caller, e)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Descriptions of an unmet StepUp: constant texts, as a challenge's
// error_description must be.
const (
	describeACR = "a stronger sign-in is required"
	describeAge = "a more recent sign-in is required"
)

// unmet says why a sign-in does not meet the requirements, empty when it
// does. The age is counted in whole seconds, as auth_time is, and the
// clock skew tolerated on token times is tolerated on it too.
func (g *Guard) unmet(in *signIn, acr []string, maxAge time.Duration) string {
	if len(acr) > 0 && !slices.Contains(acr, in.ACR) {
		return describeACR
	}
	if maxAge > 0 && (!in.AuthTime.set || g.s.Clock().Truncate(time.Second).Sub(in.AuthTime.time()) > maxAge+g.s.Leeway) {
		return describeAge
	}
	return ""
}

// ValidACR reports whether s may be a StepUp.ACR value: the characters of
// a scope-token (RFC 6749 section 3.3), no space since acr_values
// separates values by spaces, nothing that would need escaping in the
// challenge's quoted acr_values attribute. Configuration loaders check
// with it first.
func ValidACR(s string) bool { return ValidScope(s) }

// ValidMaxAge reports whether d may be a StepUp.MaxAge: not negative, and
// whole seconds, which the challenge's max_age states exactly.
func ValidMaxAge(d time.Duration) bool { return d >= 0 && d%time.Second == 0 }
