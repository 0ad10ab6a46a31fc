package guard

import (
	"context"
	"net/http"
)

// judged is the context of a request Middleware let through: it carries
// the Caller for CallerFromContext, and the refusal of a RequireScopes
// inside, which Middleware reports to Options.Observe once the handler
// returns, so that each request is reported once. It costs the one
// allocation context.WithValue would.
type judged struct {
	context.Context
	guard   *Guard
	caller  *Caller
	refusal error
}

type judgedKey struct{}

// Value returns the Caller for callerKey and the judged itself for
// judgedKey; other keys go to the request's context.
func (j *judged) Value(key any) any {
	switch key.(type) {
	case callerKey:
		return j.caller
	case judgedKey:
		return j
	}
	return j.Context.Value(key)
}

// observe reports a request to Options.Observe, if set.
func (g *Guard) observe(r *http.Request, c *Caller, err error) {
	if g.s.Observe != nil {
		g.s.Observe(r, c, err)
	}
}

// refused reports a refusal of RequireScopes: to the Middleware of the
// same Guard around it, which reports the request when its handler
// returns, or, without one, at once.
func (g *Guard) refused(r *http.Request, c *Caller, err error) {
	if j, ok := r.Context().Value(judgedKey{}).(*judged); ok && j.guard == g {
		j.refusal = err
		return
	}
	g.observe(r, c, err)
}
