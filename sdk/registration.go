package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/registry"
)

// registerPath is the dynamic client registration endpoint's path under
// the issuer.
const registerPath = "/register"

// Registrar calls an issuer's dynamic client registration endpoint (RFC
// 7591) and the client configuration endpoints it answers with (RFC 7592).
// Unlike Client, it authorizes each request itself: a registration with an
// initial access token, the calls on a registration with that
// registration's access token, never an admin client's. A Registrar is
// safe for concurrent use.
type Registrar struct {
	endpoint string // issuer + "/register"
	hc       *http.Client
}

// NewRegistrar returns a Registrar for the registration endpoint of
// issuer (issuer + "/register"). Requests go through hc, which must not
// add an Authorization header of its own (the Registrar sets it); nil
// means http.DefaultClient.
func NewRegistrar(issuer string, hc *http.Client) (*Registrar, error) {
	if err := checkIssuer(issuer); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Registrar{endpoint: strings.TrimSuffix(issuer, "/") + registerPath, hc: hc}, nil
}

// Register registers a client with metadata md (RFC 7591 section 3.1),
// authorized by initialToken: one of the server's one-time initial access
// tokens, or an access token for the management API that carries
// admin:clients:write. The answer holds the client's credentials and its
// registration access token, each shown only this once.
func (r *Registrar) Register(ctx context.Context, initialToken string, md registry.ClientMetadata) (registry.RegistrationResponse, error) {
	var out registry.RegistrationResponse
	err := r.call(ctx, http.MethodPost, r.endpoint, initialToken, registry.Registration{ClientMetadata: md}, &out)
	return out, err
}

// ReadRegistration reads the client reg registered (RFC 7592 section 2.1)
// with its registration access token. The answer has no client secret.
func (r *Registrar) ReadRegistration(ctx context.Context, reg registry.RegistrationResponse) (registry.RegistrationResponse, error) {
	var out registry.RegistrationResponse
	err := r.onRegistration(ctx, http.MethodGet, reg, nil, &out)
	return out, err
}

// UpdateRegistration replaces the metadata of the client reg registered
// with md (RFC 7592 section 2.2): metadata md leaves out returns to its
// default. What an administrator set beyond registration's metadata
// (consent, lifetimes, rate limits) stays.
func (r *Registrar) UpdateRegistration(ctx context.Context, reg registry.RegistrationResponse, md registry.ClientMetadata) (registry.RegistrationResponse, error) {
	var out registry.RegistrationResponse
	err := r.onRegistration(ctx, http.MethodPut, reg, registry.Registration{ClientMetadata: md, ClientID: reg.ClientID}, &out)
	return out, err
}

// DeleteRegistration deletes the client reg registered (RFC 7592 section
// 2.3); every token issued to it is revoked.
func (r *Registrar) DeleteRegistration(ctx context.Context, reg registry.RegistrationResponse) error {
	return r.onRegistration(ctx, http.MethodDelete, reg, nil, nil)
}

// onRegistration calls reg's client configuration endpoint with its
// registration access token. The endpoint must be one of this
// Registrar's (below its registration endpoint, the client's ID escaped
// as one segment), so that the token goes nowhere else whatever reg says.
func (r *Registrar) onRegistration(ctx context.Context, method string, reg registry.RegistrationResponse, body, out any) error {
	if reg.RegistrationClientURI != r.endpoint+"/"+url.PathEscape(reg.ClientID) || reg.ClientID == "" {
		return fmt.Errorf("sdk: %s %s: the registration's client URI is not this issuer's for its client", method, registerPath)
	}
	if reg.RegistrationAccessToken == "" {
		return fmt.Errorf("sdk: %s %s: the registration has no registration access token", method, registerPath)
	}
	return r.call(ctx, method, reg.RegistrationClientURI, reg.RegistrationAccessToken, body, out)
}

// call sends one request with token as its Bearer token and decodes a
// successful answer's JSON into out (when not nil). An answer of 400 or
// more is a *RegistrationError.
func (r *Registrar) call(ctx context.Context, method, uri, token string, body, out any) error {
	where := method + " " + registerPath
	if uri != r.endpoint {
		where += "/{client_id}" // the ID is the client's own business
	}
	if token == "" {
		return fmt.Errorf("sdk: %s: no token to authorize the request", where)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("sdk: %s: encode the body: %w", where, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, uri, rd)
	if err != nil {
		return fmt.Errorf("sdk: %s: %w", where, err)
	}
	req.Header.Set("Accept", contentJSON)
	req.Header.Set("Authorization", "Bearer "+token)
	if rd != nil {
		req.Header.Set("Content-Type", contentJSON)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("sdk: %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return readRegistrationError(where, resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("sdk: %s: read the answer: %w", where, err)
	}
	if len(b) > maxAnswer {
		return fmt.Errorf("sdk: %s: the answer is larger than %d bytes", where, maxAnswer)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("sdk: %s: the answer is not the JSON expected: %w", where, err)
	}
	return nil
}

// RegistrationError is an error answer of the registration endpoints: an
// OAuth error object (RFC 7591 section 3.2.2), or a refused token (RFC
// 6750 section 3). errors.As finds it in what the Registrar's calls
// return.
type RegistrationError struct {
	// StatusCode is the HTTP status: 400 for bad metadata, 401 for a
	// missing, wrong or spent token, 403 for a token without
	// admin:clients:write, 404 when registration is off.
	StatusCode int
	// Code is the OAuth error code: invalid_redirect_uri,
	// invalid_client_metadata, invalid_token, insufficient_scope; empty
	// when the server gave none.
	Code string `json:"error"`
	// Description is the server's error_description.
	Description string `json:"error_description"`

	where string
}

// Error describes the failed call; the server's descriptions hold no
// secret, and the SDK adds none.
func (e *RegistrationError) Error() string {
	s := fmt.Sprintf("sdk: %s: %d %s", e.where, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// readRegistrationError makes the *RegistrationError of an answer of 400
// or more, from its JSON body or else its WWW-Authenticate challenge.
func readRegistrationError(where string, resp *http.Response) error {
	e := &RegistrationError{StatusCode: resp.StatusCode, where: where}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxProblem))
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == contentJSON {
		json.Unmarshal(b, e) // a body that is not one leaves the challenge's words below
	}
	if e.Code == "" {
		e.Code = challengeParam(resp.Header.Get("WWW-Authenticate"), "error")
	}
	if e.Description == "" {
		e.Description = challengeParam(resp.Header.Get("WWW-Authenticate"), "error_description")
	}
	return e
}

// IsRegistrationError reports whether err is a *RegistrationError with
// the OAuth error code code.
func IsRegistrationError(err error, code string) bool {
	var e *RegistrationError
	return errors.As(err, &e) && e.Code == code
}
