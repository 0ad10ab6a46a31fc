package admintest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/portcullis/portcullis/admin"
)

// LoadDocument loads and validates the OpenAPI document, served from
// serverURL.
func LoadDocument(t testing.TB, serverURL string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(admin.OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	if serverURL != "" {
		doc.Servers = openapi3.Servers{{URL: serverURL}}
	}
	return doc
}

// Conformance is an http.RoundTripper that checks every exchange the
// tests have with the server against the OpenAPI document: the route must
// be documented, every answer must match its documented status, headers
// and schema, and a request the document refuses must be refused by the
// server too (4xx). So the document cannot drift from the handlers.
type Conformance struct {
	t      testing.TB
	router routers.Router
	next   http.RoundTripper
	// Checked counts the exchanges validated.
	Checked atomic.Int64
}

// NewConformance checks the exchanges with the server at serverURL.
func NewConformance(t testing.TB, serverURL string) *Conformance {
	t.Helper()
	r, err := legacy.NewRouter(LoadDocument(t, serverURL))
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &Conformance{t: t, router: r, next: http.DefaultTransport}
}

// RoundTrip sends req and validates the exchange.
func (c *Conformance) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	// Identifiers travel percent-encoded in one segment: route on the
	// escaped path, as the server's mux does.
	routed := req.Clone(req.Context())
	u := *req.URL
	u.Path, u.RawPath = req.URL.EscapedPath(), ""
	routed.URL = &u
	routed.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(routed)
	if err != nil {
		c.t.Errorf("%s %s is not in openapi.json: %v", req.Method, req.URL.Path, err)
		return c.next.RoundTrip(req)
	}
	in := &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if reqErr != nil && resp.StatusCode < 400 {
		c.t.Errorf("%s %s: openapi.json refuses the request the server answered %d: %v", req.Method, req.URL.Path, resp.StatusCode, reqErr)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		c.t.Errorf("%s %s: the answer %d does not match openapi.json: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, respBody)
	}
	c.Checked.Add(1)
	return resp, nil
}
