package sdk_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// seen is one request as the server received it.
type seen struct {
	method, path, rawPath, query, contentType, ifMatch, body string
}

// recorder answers every request with status and body and keeps what it
// received, to check the exact requests the SDK sends.
func recorder(t *testing.T, status int, contentType, body string) (*sdk.Client, *[]seen) {
	t.Helper()
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Content-Type"),
			r.Header.Get("If-Match"), string(b)})
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("ETag", `"v2"`)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := sdk.New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, &got
}

// TestRequests checks the method, escaped path, query, content type,
// If-Match and body of calls.
func TestRequests(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		call func(c *sdk.Client) error
		want seen
	}{
		{"get an API by its URI as one segment", func(c *sdk.Client) error {
			_, err := c.APIs.Get(ctx, "https://api.example.com/v1?x#y")
			return err
		}, seen{method: "GET", rawPath: "/admin/v1/apis/https:%2F%2Fapi.example.com%2Fv1%3Fx%23y"}},
		{"patch a client with If-Match", func(c *sdk.Client) error {
			_, err := c.Clients.Update(ctx, "web", sdk.Patch{"client_name": "Web", "jwks_uri": nil}, `"v1"`)
			return err
		}, seen{method: "PATCH", rawPath: "/admin/v1/clients/web", contentType: "application/merge-patch+json",
			ifMatch: `"v1"`, body: `{"client_name":"Web","jwks_uri":null}`}},
		{"delete a user unconditionally", func(c *sdk.Client) error { return c.Users.Delete(ctx, "u 1", "") },
			seen{method: "DELETE", rawPath: "/admin/v1/users/u%201"}},
		{"search users", func(c *sdk.Client) error {
			_, err := c.Users.Page(ctx, sdk.UserListOptions{Query: "Ann", ListOptions: sdk.ListOptions{Limit: 5, Cursor: "abc"}})
			return err
		}, seen{method: "GET", rawPath: "/admin/v1/users", query: "cursor=abc&limit=5&q=Ann"}},
		{"filter the audit trail", func(c *sdk.Client) error {
			_, err := c.Audit.Page(ctx, sdk.AuditFilter{Subject: "s", Type: "token_issued", Since: since, Until: since.Add(time.Hour)})
			return err
		}, seen{method: "GET", rawPath: "/admin/v1/audit", query: "since=2026-01-02T03%3A04%3A05Z&sub=s&type=token_issued&until=2026-01-02T04%3A04%3A05Z"}},
		{"live grants of a client", func(c *sdk.Client) error {
			_, err := c.Grants.Page(ctx, sdk.GrantFilter{ClientID: "web", Live: true})
			return err
		}, seen{method: "GET", rawPath: "/admin/v1/grants", query: "client_id=web&live=true"}},
		{"rotate a secret with an overlap", func(c *sdk.Client) error {
			_, err := c.Clients.RotateSecret(ctx, "web", registry.SecretRotation{Overlap: registry.Duration(time.Hour)})
			return err
		}, seen{method: "POST", rawPath: "/admin/v1/clients/web/secret", contentType: "application/json", body: `{"overlap":"1h0m0s"}`}},
		{"set a password", func(c *sdk.Client) error { return c.Users.SetPassword(ctx, "u1", "a long password") },
			seen{method: "PUT", rawPath: "/admin/v1/users/u1/password", contentType: "application/json", body: `{"password":"a long password"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, got := recorder(t, http.StatusOK, "application/json", `{}`)
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			if len(*got) != 1 {
				t.Fatalf("%d requests, want 1", len(*got))
			}
			g := (*got)[0]
			g.path = ""
			if g.body != "" {
				g.body = strings.TrimSpace(g.body)
			}
			if g != tc.want {
				t.Errorf("request\n got %+v\nwant %+v", g, tc.want)
			}
		})
	}
}

// TestErrorAnswers checks what an *Error holds for answers of several
// kinds, and that its message holds no token.
func TestErrorAnswers(t *testing.T) {
	const token = "secret-access-token-value"
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		challenge               string
		wantDetail, wantField   string
		is                      func(error) bool
	}{
		{name: "problem with fields", status: 400, contentType: "application/problem+json",
			body:       `{"type":"https://portcullis.dev/problems/invalid-request","title":"Bad Request","status":400,"detail":"the client is not valid","errors":[{"field":"redirect_uris[0]","detail":"must use https"}]}`,
			wantDetail: "the client is not valid", wantField: "redirect_uris[0]", is: sdk.IsInvalid},
		{name: "stale If-Match", status: 412, contentType: "application/problem+json",
			body:       `{"type":"https://portcullis.dev/problems/precondition-failed","title":"Precondition Failed","status":412,"detail":"changed"}`,
			wantDetail: "changed", is: sdk.IsPreconditionFailed},
		{name: "a proxy's page", status: 404, contentType: "text/html", body: "<h1>" + token + "</h1>",
			is: sdk.IsNotFound},
		{name: "guard without a token", status: 401, contentType: "text/plain", challenge: `Bearer realm="x"`,
			is: sdk.IsUnauthorized},
		{name: "guard with a narrow token", status: 403, contentType: "text/plain",
			challenge:  `Bearer realm="x", error="insufficient_scope", error_description="insufficient scope", scope="admin:clients:write"`,
			wantDetail: "insufficient scope", is: sdk.IsForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				if tc.challenge != "" {
					w.Header().Set("WWW-Authenticate", tc.challenge)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			hc := &http.Client{Transport: bearer(token)}
			c, _ := sdk.New(srv.URL, hc)
			_, err := c.Clients.Get(context.Background(), "x")
			var e *sdk.Error
			if !errors.As(fmtWrap(err), &e) {
				t.Fatalf("err = %v, want an *sdk.Error", err)
			}
			if !tc.is(fmtWrap(err)) || e.StatusCode != tc.status || e.Problem.Status != tc.status || e.Problem.Title == "" {
				t.Errorf("err = %+v", e)
			}
			if e.Problem.Detail != tc.wantDetail {
				t.Errorf("detail %q, want %q", e.Problem.Detail, tc.wantDetail)
			}
			if _, ok := e.Field(tc.wantField); tc.wantField != "" && !ok {
				t.Errorf("no problem for %s in %+v", tc.wantField, e.Problem.Errors)
			}
			if e.Challenge != tc.challenge {
				t.Errorf("challenge %q, want %q", e.Challenge, tc.challenge)
			}
			if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "GET /admin/v1/clients/x") {
				t.Errorf("message %q", err)
			}
		})
	}
}

// fmtWrap wraps err as callers do, to check the helpers see through it.
func fmtWrap(err error) error { return errors.Join(errors.New("provisioning"), err) }

// bearer adds a token to every request.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// TestMisbehavingServer checks the SDK's bounds: an endless answer is cut
// off, and a cursor handed back twice ends the sequence with an error
// instead of looping.
func TestMisbehavingServer(t *testing.T) {
	t.Run("answer too large", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"items":[`)
			chunk := strings.Repeat(`{"client_id":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},`, 1000)
			for i := 0; i < 1000; i++ { // about 50 MB
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		c, _ := sdk.New(srv.URL, srv.Client())
		_, err := c.Clients.Page(context.Background(), sdk.ListOptions{})
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("err = %v, want the answer refused as too large", err)
		}
	})
	t.Run("cursor repeated", func(t *testing.T) {
		c, got := recorder(t, http.StatusOK, "application/json", `{"items":[{"client_id":"a"}],"next_cursor":"same"}`)
		var n int
		var last error
		for _, err := range c.Clients.List(context.Background(), sdk.ListOptions{}) {
			n++
			last = err
		}
		if last == nil || n != 3 || len(*got) != 2 {
			t.Fatalf("%d items, %d requests, last error %v; want 2 items then an error after 2 requests", n, len(*got), last)
		}
	})
}

// TestNewRefusesBadIssuers checks New's validation of the issuer.
func TestNewRefusesBadIssuers(t *testing.T) {
	for _, tc := range []struct{ name, issuer string }{
		{"empty", ""},
		{"relative", "/admin"},
		{"other scheme", "ftp://example.com"},
		{"query", "https://example.com/?x=1"},
		{"user information", "https://user:pass@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sdk.New(tc.issuer, nil); err == nil {
				t.Errorf("New(%q) succeeded", tc.issuer)
			} else if strings.Contains(err.Error(), "pass") {
				t.Errorf("error %q echoes the issuer's user information", err)
			}
		})
	}
}
