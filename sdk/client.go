package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswer bounds the body of a successful answer the SDK reads: a page
// of 500 clients with JWK Sets, or a usage report of many rows, stays well
// below it, and a server (or something posing as one) cannot make the
// caller hold more.
const maxAnswer = 16 << 20

// apiPath is the management API's path under the issuer, which error
// messages name.
const apiPath = "/admin/v1/"

// Content types of request bodies.
const (
	contentJSON       = "application/json"
	contentMergePatch = "application/merge-patch+json"
)

// Client calls the management API of one Portcullis issuer. Its services
// group the calls by collection. A Client is safe for concurrent use.
type Client struct {
	// Clients manages OAuth clients (applications).
	Clients *ClientsService
	// APIs manages APIs (resource servers) and their scopes.
	APIs *APIsService
	// Users manages users, their passwords and their grants.
	Users *UsersService
	// Grants lists and revokes grants, and revokes tokens in bulk.
	Grants *GrantsService
	// Keys lists and rotates the signing keys.
	Keys *KeysService
	// Audit reads the security audit trail.
	Audit *AuditService
	// Usage reads usage records and anomaly detections.
	Usage *UsageService

	base string // the issuer with the API's path, ending in "/"
	hc   *http.Client
}

// New returns a client of the management API of issuer, the
// authorization server's issuer identifier (the API is served at
// issuer + "/admin/v1/"). Every request goes through hc, which must add
// an access token for registry.AdminAudience(issuer) with the scopes the
// calls need; nil means http.DefaultClient, which only reaches the OpenAPI
// document.
func New(issuer string, hc *http.Client) (*Client, error) {
	if err := checkIssuer(issuer); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{base: strings.TrimSuffix(issuer, "/") + apiPath, hc: hc}
	c.Clients, c.APIs, c.Users = &ClientsService{c}, &APIsService{c}, &UsersService{c}
	c.Grants, c.Keys, c.Audit, c.Usage = &GrantsService{c}, &KeysService{c}, &AuditService{c}, &UsageService{c}
	return c, nil
}

// checkIssuer refuses an issuer that is not an http or https URL without
// query, fragment or user information.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("sdk: the issuer must be an http or https URL without query, fragment or user information")
	}
	return nil
}

// Versioned is a resource as read, with its entity tag: pass ETag as the
// ifMatch of an update or delete to make the change only if nobody
// changed the resource since.
type Versioned[T any] struct {
	Value T
	ETag  string
}

// Patch is an RFC 7396 JSON merge patch: each member replaces the
// resource's, a nil value removes the member (back to its default), and
// members not named stay as they are. Its keys are the JSON (and YAML)
// field names, such as "redirect_uris" or "claims".
type Patch map[string]any

// request is one call of the API.
type request struct {
	method, path string // path is relative to the API's base, escaped
	query        url.Values
	body         any    // marshalled as JSON when not nil
	contentType  string // of body; empty means application/json
	ifMatch      string
}

// answer is what a call returned beyond its decoded body.
type answer struct {
	etag string
}

// do sends req and decodes a successful answer's JSON into out (when out
// is not nil). An answer of 400 or more is an *Error.
func (c *Client) do(ctx context.Context, req request, out any) (answer, error) {
	where := req.method + " " + apiPath + req.path // names the call in errors
	u := c.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return answer{}, fmt.Errorf("sdk: %s: encode the body: %w", where, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return answer{}, fmt.Errorf("sdk: %s: %w", where, err)
	}
	hr.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		ct := req.contentType
		if ct == "" {
			ct = contentJSON
		}
		hr.Header.Set("Content-Type", ct)
	}
	if req.ifMatch != "" {
		hr.Header.Set("If-Match", req.ifMatch)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		// A *url.Error names the URL, which holds no secret: tokens
		// travel in headers.
		return answer{}, fmt.Errorf("sdk: %s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return answer{}, readError(where, resp)
	}
	a := answer{etag: resp.Header.Get("ETag")}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return a, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return answer{}, fmt.Errorf("sdk: %s: read the answer: %w", where, err)
	}
	if len(b) > maxAnswer {
		return answer{}, fmt.Errorf("sdk: %s: the answer is larger than %d bytes", where, maxAnswer)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return answer{}, fmt.Errorf("sdk: %s: the answer is not the JSON expected: %w", where, err)
	}
	return a, nil
}

// get reads one resource with its ETag.
func get[T any](ctx context.Context, c *Client, path string) (Versioned[T], error) {
	var v Versioned[T]
	a, err := c.do(ctx, request{method: http.MethodGet, path: path}, &v.Value)
	v.ETag = a.etag
	return v, err
}

// send makes a change with a JSON body and reads the changed resource
// with its ETag.
func send[T any](ctx context.Context, c *Client, method, path string, body any, contentType, ifMatch string) (Versioned[T], error) {
	var v Versioned[T]
	a, err := c.do(ctx, request{method: method, path: path, body: body, contentType: contentType, ifMatch: ifMatch}, &v.Value)
	v.ETag = a.etag
	return v, err
}

// remove deletes a resource, if it still has the ETag ifMatch when that
// is set.
func (c *Client) remove(ctx context.Context, path, ifMatch string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: path, ifMatch: ifMatch}, nil)
	return err
}

// segment escapes s as one path segment: API identifiers are URIs, whose
// slashes must not split the path.
func segment(s string) string { return url.PathEscape(s) }

// OpenAPI returns the management API's OpenAPI 3.1 document, which needs
// no token.
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	var doc json.RawMessage
	_, err := c.do(ctx, request{method: http.MethodGet, path: "openapi.json"}, &doc)
	return doc, err
}
