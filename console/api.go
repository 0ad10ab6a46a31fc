package console

import (
	"errors"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/sdk"
)

// api is a management API client acting with s's access token: the
// console's one way to read and change anything.
func (c *Console) api(s *session) *sdk.Client {
	hc := &http.Client{Timeout: c.hc.Timeout, Transport: &oauth2.Transport{Base: c.cfg.Transport,
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s.Access, TokenType: "Bearer"})}}
	// The issuer was checked by New, so sdk.New cannot fail here.
	cl, _ := sdk.New(c.cfg.Issuer, hc)
	return cl
}

// apiFailed answers a failed read of the management API with a page that
// says what happened: not found, not allowed, the session gone, or the
// API unreachable.
func (c *Console) apiFailed(w http.ResponseWriter, r *http.Request, err error) {
	var e *sdk.Error
	switch {
	case sdk.IsUnauthorized(err):
		c.signInAgain(w, r)
	case sdk.IsForbidden(err):
		c.problem(w, r, http.StatusForbidden, "You cannot see this", "Your role does not allow this. Ask an administrator.", false)
	case sdk.IsNotFound(err):
		c.problem(w, r, http.StatusNotFound, "Not found", "It does not exist, or was just deleted.", false)
	case errors.As(err, &e) && e.StatusCode < 500:
		c.problem(w, r, e.StatusCode, "Request refused", e.Problem.Detail, false)
	default:
		c.cfg.Log.Error("console: management API call failed", "path", r.URL.Path, "err", err)
		c.problem(w, r, http.StatusBadGateway, "The management API did not answer", "Try again in a moment.", false)
	}
}

// formErrors are the problems the management API found in a change, by
// the console form's field name (the JSON key without its index:
// "redirect_uris[0]" is the redirect_uris field), with "" for the whole
// form; ok is false when err is not such a refusal.
func formErrors(err error) (map[string]string, bool) {
	var e *sdk.Error
	if !errors.As(err, &e) || (e.StatusCode != http.StatusBadRequest && e.StatusCode != http.StatusConflict && e.StatusCode != http.StatusUnprocessableEntity) {
		return nil, false
	}
	out := map[string]string{}
	for _, f := range e.Problem.Errors {
		field, _, _ := strings.Cut(f.Field, "[")
		field, _, _ = strings.Cut(field, ".")
		if out[field] != "" {
			out[field] += " "
		}
		out[field] += f.Detail
	}
	if len(e.Problem.Errors) == 0 {
		out[""] = e.Problem.Detail
	}
	return out, true
}
