package agent

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/internal/bodylimit"
	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/usage"
)

const (
	// maxBody bounds the JSON bodies the endpoints read.
	maxBody = 16 << 10
	// maxExtraParams bounds extraParams.
	maxExtraParams = 20
)

// reservedParams are the authorization request parameters the agent sets
// itself or that would change how the response comes back (and the token
// endpoint's, which have no business here); extraParams may not name them.
// The scope is the agent's configuration.
var reservedParams = []string{
	"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "request", "request_uri",
	"client_secret", "client_assertion", "client_assertion_type", "code", "code_verifier", "grant_type",
}

// startRequest is the optional body of /login/start.
type startRequest struct {
	ExtraParams []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"extraParams"`
}

// loginStart is POST /login/start: it builds an authorization request
// (RFC 6749 section 4.1.1) with PKCE (RFC 7636) and a nonce, pushes it
// when the provider has a PAR endpoint (RFC 9126), and remembers it in the
// login cookie beside the browser's other logins in progress.
func (a *Agent) loginStart(w http.ResponseWriter, r *http.Request) *apiError {
	// Every login started pushes a request the provider stores (RFC
	// 9126), and anyone on a trusted origin's page can start one, so
	// one client address (an IPv6 /64) may start only so many. Its
	// callers have proved nothing: during an outage of the shared
	// limiter, each instance's memory decides.
	addr := clientaddr.Of(r, a.trustedProxies)
	rule := usage.LimitRule{Name: usage.LimitLoginStart, Limit: a.startLimit}
	if d := a.starts.Allow(r.Context(), rule, clientaddr.Key(addr), usage.Event{Address: addr.String()}); !d.Allowed {
		h := w.Header()
		d.SetHeaders(h)
		h.Set("Access-Control-Expose-Headers", usage.ExposedHeaders)
		return newError(http.StatusTooManyRequests, codeTooManyRequests, "too many logins were started from this address; retry after Retry-After seconds")
	}
	now := time.Now()
	var req startRequest
	if e := readJSON(w, r, &req); e != nil {
		return e
	}
	if len(req.ExtraParams) > maxExtraParams {
		return badRequest(fmt.Sprintf("at most %d extraParams", maxExtraParams))
	}
	p := pendingLogin{State: randomString(), Verifier: oauth2.GenerateVerifier(), Nonce: randomString(), Expires: now.Add(loginTTL).Unix()}
	params := url.Values{
		"response_type": {"code"}, "client_id": {a.clientID}, "redirect_uri": {a.redirect.String()},
		"scope": {a.scope}, "state": {p.State}, "nonce": {p.Nonce},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(p.Verifier)}, "code_challenge_method": {"S256"},
	}
	extra := url.Values{}
	for _, kv := range req.ExtraParams {
		switch {
		case kv.Key == "":
			return badRequest("an extraParams key is empty")
		case slices.Contains(reservedParams, kv.Key):
			return badRequest(fmt.Sprintf("extraParams may not set %s: the agent sets it", kv.Key))
		case extra.Has(kv.Key):
			return badRequest(fmt.Sprintf("extraParams names %s twice", safeText(kv.Key, "a key")))
		}
		extra.Set(kv.Key, kv.Value)
	}
	for k, v := range extra {
		params[k] = v
	}
	authURL, err := a.authorizationURL(r.Context(), params)
	if err != nil {
		return providerFailure(err)
	}
	// A login cookie that no longer decrypts (a retired key) is replaced:
	// starting a login is how the app recovers from one.
	pending, _ := a.readPending(r)
	a.writePending(w, append(pending, p))
	writeJSON(w, http.StatusOK, struct {
		URL string `json:"authorizationRequestUrl"`
	}{authURL})
	return nil
}

// authorizationURL is where the browser goes: the request pushed to the
// PAR endpoint when the provider has one, in the URL otherwise.
func (a *Agent) authorizationURL(ctx context.Context, params url.Values) (string, error) {
	u, err := url.Parse(a.provider.meta.AuthorizationEndpoint)
	if err != nil {
		return "", fmt.Errorf("%w: authorization_endpoint: %w", errBadAnswer, err)
	}
	q := u.Query()
	if a.provider.meta.PAREndpoint == "" {
		for k, v := range params {
			q[k] = v
		}
	} else {
		requestURI, err := a.provider.pushAuthorization(ctx, params)
		if err != nil {
			return "", err
		}
		// RFC 9126 section 4: client_id and request_uri only.
		q.Set("client_id", a.clientID)
		q.Set("request_uri", requestURI)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// readJSON decodes an optional JSON object body into v, refusing unknown
// members, trailing data and bodies over maxBody. An empty body leaves v
// as it is.
func readJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		if bodylimit.TooLarge(err) {
			return newError(http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the body exceeds %d bytes", maxBody))
		}
		return badRequest("the body is not the expected JSON object: " + safeText(err.Error(), ""))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// randomString returns 256 random bits, base64url encoded: a state or a
// nonce nobody can guess.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
