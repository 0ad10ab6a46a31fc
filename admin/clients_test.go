package admin_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/admin"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// created is the answer to a client's creation.
type created struct {
	registry.ClientInfo
	ClientSecret string `json:"client_secret"`
}

// A client created through the API gets tokens at once, reads like its
// YAML entry, changes under If-Match, and once deleted gets none; each
// change is an audit event naming the acting client.
func TestClientLifecycle(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: registry.Client{
		ClientID: "billing", Name: "Billing", GrantTypes: []string{"client_credentials"}, Scopes: []string{"read:users"},
		AccessTokenTTL: registry.Duration(10 * time.Minute)}})
	var c created
	a.decode(t, &c)
	if a.status != http.StatusCreated || a.header.Get("Location") != admin.PathPrefix+"clients/billing" || a.header.Get("ETag") == "" {
		t.Fatalf("create: %d %v %s", a.status, a.header, a.body)
	}
	if len(c.ClientSecret) != 43 || c.Source != registry.SourceStore || c.TokenEndpointAuthMethod != store.AuthSecretBasic || c.CreatedAt.IsZero() {
		t.Fatalf("create answered %s", a.body)
	}
	if got := e.TokenFor(t, "billing", c.ClientSecret, ""); got == "" {
		t.Fatal("no token for the created client")
	}
	// A read has the create's ETag and never the secret.
	r := e.do(t, call{method: "GET", path: admin.PathPrefix + "clients/billing", token: tok})
	if r.status != http.StatusOK || r.header.Get("ETag") != a.header.Get("ETag") || strings.Contains(string(r.body), `"client_secret":`) {
		t.Fatalf("read: %d %v %s", r.status, r.header, r.body)
	}
	etag := r.header.Get("ETag")

	patch := func(body any, ifMatch string) answer {
		return e.do(t, call{method: "PATCH", path: admin.PathPrefix + "clients/billing", token: tok, body: body,
			contentType: "application/merge-patch+json", header: map[string]string{"If-Match": ifMatch}})
	}
	p := patch(map[string]any{"client_name": "Billing service", "access_token_ttl": nil}, etag)
	var after registry.ClientInfo
	p.decode(t, &after)
	if p.status != http.StatusOK || after.Name != "Billing service" || after.AccessTokenTTL != 0 || after.UpdatedAt.IsZero() || p.header.Get("ETag") == etag {
		t.Fatalf("patch: %d %s", p.status, p.body)
	}
	if s := patch(map[string]any{"client_name": "stale"}, etag); s.status != http.StatusPreconditionFailed || !strings.HasSuffix(s.problem(t).Type, "/precondition-failed") {
		t.Fatalf("patch with a stale ETag: %d %s", s.status, s.body)
	}
	// The secret survived the patch.
	e.TokenFor(t, "billing", c.ClientSecret, "")

	for _, bad := range []struct {
		name  string
		patch map[string]any
		field string
	}{
		{"client_id", map[string]any{"client_id": "other"}, "client_id"},
		{"client_secret", map[string]any{"client_secret": strings.Repeat("s", 40)}, "client_secret"},
		{"a bad grant", map[string]any{"grant_types": []string{"password"}}, "grant_types[0]"},
		{"code without redirect", map[string]any{"grant_types": []string{"authorization_code"}}, "redirect_uris"},
		{"an unknown scope", map[string]any{"scopes": []string{"nope"}}, "scopes[0]"},
	} {
		a := patch(bad.patch, "")
		if a.status != http.StatusBadRequest || !hasField(a.problem(t), bad.field) {
			t.Errorf("patch %s: %d %s, want 400 naming %s", bad.name, a.status, a.body, bad.field)
		}
	}

	d := e.do(t, call{method: "DELETE", path: admin.PathPrefix + "clients/billing", token: tok, header: map[string]string{"If-Match": etag}})
	if d.status != http.StatusPreconditionFailed {
		t.Fatalf("delete with a stale ETag: %d", d.status)
	}
	if d := e.do(t, call{method: "DELETE", path: admin.PathPrefix + "clients/billing", token: tok}); d.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	if g := e.do(t, call{method: "GET", path: admin.PathPrefix + "clients/billing", token: tok}); g.status != http.StatusNotFound {
		t.Fatalf("read after delete: %d", g.status)
	}
	cc := clientcredentials.Config{ClientID: "billing", ClientSecret: c.ClientSecret, TokenURL: e.AS.URL + "/token"}
	if _, err := cc.Token(context.Background()); err == nil {
		t.Fatal("a deleted client still gets tokens")
	}
	if e.Changes.Load() < 3 {
		t.Errorf("Changed was called %d times for 3 changes", e.Changes.Load())
	}
	events, err := e.AS.Store.ListAudit(context.Background(), store.AuditFilter{ClientID: "billing", Type: audit.ConfigChanged, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("%d audit events, want create, patch and delete", len(events))
	}
	for _, ev := range events {
		if ev.Detail["actor_client_id"] != "admin" {
			t.Errorf("audit event %v does not name the acting client", ev.Detail)
		}
	}
}

// hasField reports whether p names field.
func hasField(p admin.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// A create is validated by the same rules as the file's clients; each
// broken rule names its field, and nothing is stored.
func TestCreateClientValidation(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	web := func(mod func(*registry.Client)) registry.Client {
		c := registry.Client{ClientID: "web", GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://app.example.com/cb"}, Scopes: []string{"openid"}}
		mod(&c)
		return c
	}
	for _, c := range []struct {
		name   string
		client any
		status int
		field  string
	}{
		{"no client_id", web(func(c *registry.Client) { c.ClientID = "" }), 400, "client_id"},
		{"a slash in client_id", web(func(c *registry.Client) { c.ClientID = "a/b" }), 400, "client_id"},
		{"a bad auth method", web(func(c *registry.Client) { c.TokenEndpointAuthMethod = "magic" }), 400, "token_endpoint_auth_method"},
		{"a short secret", web(func(c *registry.Client) { c.ClientSecret = "short" }), 400, "client_secret"},
		{"a public client with a secret", web(func(c *registry.Client) { c.TokenEndpointAuthMethod = "none"; c.ClientSecret = strings.Repeat("s", 40) }), 400, ""},
		{"an http redirect URI", web(func(c *registry.Client) { c.RedirectURIs = []string{"http://app.example.com/cb"} }), 400, "redirect_uris[0]"},
		{"a redirect URI with a fragment", web(func(c *registry.Client) { c.RedirectURIs = []string{"https://app.example.com/cb#x"} }), 400, "redirect_uris[0]"},
		{"code without redirect URIs", web(func(c *registry.Client) { c.RedirectURIs = nil }), 400, "redirect_uris"},
		{"an unknown scope", web(func(c *registry.Client) { c.Scopes = []string{"nope"} }), 400, "scopes[0]"},
		{"skip_consent on a public client", web(func(c *registry.Client) { c.TokenEndpointAuthMethod = "none"; c.SkipConsent = true }), 400, "skip_consent"},
		{"a token lifetime above the deployment's", web(func(c *registry.Client) { c.AccessTokenTTL = registry.Duration(48 * time.Hour) }), 400, "access_token_ttl"},
		{"a wrong type", map[string]any{"client_id": "web", "client_name": 5}, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: c.client})
			if p := a.problem(t); a.status != c.status || (c.field != "" && !hasField(p, c.field)) {
				t.Errorf("%d %s, want %d naming %q", a.status, a.body, c.status, c.field)
			}
		})
	}
	if cs, _ := e.AS.Store.ListClients(context.Background()); len(cs) != 0 {
		t.Errorf("refused creates stored %d clients", len(cs))
	}
	// A public SPA and a private_key_jwt client get no secret; a second
	// create of one ID is a conflict.
	spa := web(func(c *registry.Client) { c.ClientID, c.TokenEndpointAuthMethod = "spa2", "none" })
	var got created
	a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: spa})
	a.decode(t, &got)
	if a.status != http.StatusCreated || got.ClientSecret != "" {
		t.Fatalf("public client: %d %s", a.status, a.body)
	}
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: spa}); a.status != http.StatusConflict {
		t.Fatalf("second create: %d %s", a.status, a.body)
	}
}

// Of many PATCHes with one ETag at once, exactly one applies: the
// If-Match check and the write are one transaction.
func TestConcurrentPatchesWithOneETag(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	tok := e.Token(t, "admin", "")
	etag := e.do(t, call{method: "GET", path: admin.PathPrefix + "clients/svc", token: tok}).header.Get("ETag")
	const n = 50
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := e.do(t, call{method: "PATCH", path: admin.PathPrefix + "clients/svc", token: tok,
				body: map[string]any{"client_name": strings.Repeat("x", i+1)}, header: map[string]string{"If-Match": etag}})
			statuses <- a.status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusPreconditionFailed] != n-1 {
		t.Fatalf("statuses %v, want one 200 and %d 412", count, n-1)
	}
}

// Rotating a secret answers the new one once; with an overlap the old
// digest is kept as the previous secret until then.
func TestRotateSecret(t *testing.T) {
	e := newEnv(t)
	tok := e.Token(t, "admin", "")
	var c created
	e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: newService("svc")}).decode(t, &c)
	rotate := func(body any) answer {
		return e.do(t, call{method: "POST", path: admin.PathPrefix + "clients/svc/secret", token: tok, body: body})
	}
	start := time.Now()
	a := rotate(map[string]any{"overlap": "2h"})
	var ns registry.NewSecret
	a.decode(t, &ns)
	if a.status != http.StatusOK || len(ns.ClientSecret) != 43 || ns.ClientSecret == c.ClientSecret {
		t.Fatalf("rotate: %d %s", a.status, a.body)
	}
	if d := ns.PreviousSecretExpiresAt.Sub(start); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
		t.Fatalf("previous_secret_expires_at %v, want 2h from now", ns.PreviousSecretExpiresAt)
	}
	old := sha256.Sum256([]byte(c.ClientSecret))
	if sc := e.StoredClient(t, "svc"); string(sc.PreviousSecretHash) != string(old[:]) {
		t.Fatal("the old secret's digest is not kept for the overlap")
	}
	// Both secrets work during the overlap.
	e.TokenFor(t, "svc", ns.ClientSecret, "")
	e.TokenFor(t, "svc", c.ClientSecret, "")
	// Without a body: no overlap, the previous secret goes.
	a = e.do(t, call{method: "POST", path: admin.PathPrefix + "clients/svc/secret", token: tok})
	ns = registry.NewSecret{}
	a.decode(t, &ns)
	if a.status != http.StatusOK || !ns.PreviousSecretExpiresAt.IsZero() || len(e.StoredClient(t, "svc").PreviousSecretHash) != 0 {
		t.Fatalf("rotate without overlap: %d %s", a.status, a.body)
	}
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: c.ClientSecret, TokenURL: e.AS.URL + "/token"}
	if _, err := cc.Token(context.Background()); err == nil {
		t.Fatal("a secret replaced without overlap still works")
	}
	for _, bad := range []any{map[string]any{"overlap": "169h"}, map[string]any{"overlap": "-1s"}, map[string]any{"overlap": "soon"}} {
		if a := rotate(bad); a.status != http.StatusBadRequest {
			t.Errorf("rotate with %v: %d %s", bad, a.status, a.body)
		}
	}
	// A public client has no secret to rotate.
	e.do(t, call{method: "POST", path: admin.PathPrefix + "clients", token: tok, body: registry.Client{ClientID: "pub",
		TokenEndpointAuthMethod: "none", GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://a.example.com/cb"}}})
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients/pub/secret", token: tok}); a.status != http.StatusConflict {
		t.Errorf("rotate a public client's secret: %d %s", a.status, a.body)
	}
	if a := e.do(t, call{method: "POST", path: admin.PathPrefix + "clients/nobody/secret", token: tok}); a.status != http.StatusNotFound {
		t.Errorf("rotate an unknown client's secret: %d %s", a.status, a.body)
	}
}

// A list is walked page by page with next_cursor; limit and cursor are
// checked.
func TestListClientsPages(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	tok := e.Token(t, "admin", "")
	var ids []string
	cursor := ""
	for range 10 {
		var p struct {
			Items      []registry.ClientInfo
			NextCursor string `json:"next_cursor"`
		}
		e.do(t, call{method: "GET", path: admin.PathPrefix + "clients?limit=2&cursor=" + cursor, token: tok}).decode(t, &p)
		for _, c := range p.Items {
			ids = append(ids, c.ClientID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(ids, " ") != "admin reader spa svc test-client web-app" {
		t.Fatalf("pages listed %v", ids)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "cursor=%21%21"} {
		a := e.do(t, call{method: "GET", path: admin.PathPrefix + "clients?" + q, token: tok})
		if a.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, a.status, a.body)
		}
	}
}

// A management API scope can be given to a client only by a token that
// holds it: admin:clients:write alone does not make administrators of
// users or keys.
func TestAdminScopesAreDelegatedOnlyByHolders(t *testing.T) {
	e := newEnv(t)
	narrow := e.Token(t, "admin", "admin:clients:write admin:clients:read")
	body := map[string]any{"client_id": "escalate", "grant_types": []string{"client_credentials"},
		"scopes": []string{"admin:clients:read", "admin:users:write"}}
	a := e.do(t, call{method: "POST", path: "/admin/v1/clients", token: narrow, body: body})
	if a.status != http.StatusForbidden || !strings.Contains(string(a.body), `"scopes[1]"`) {
		t.Fatalf("create with a scope the token lacks: %d %s", a.status, a.body)
	}
	body["scopes"] = []string{"admin:clients:read"}
	if a := e.do(t, call{method: "POST", path: "/admin/v1/clients", token: narrow, body: body}); a.status != http.StatusCreated {
		t.Fatalf("create with a scope the token holds: %d %s", a.status, a.body)
	}
	patch := map[string]any{"scopes": []string{"admin:clients:read", "admin:keys:write"}}
	if a := e.do(t, call{method: "PATCH", path: "/admin/v1/clients/escalate", token: narrow, body: patch}); a.status != http.StatusForbidden {
		t.Fatalf("patch adding a scope the token lacks: %d %s", a.status, a.body)
	}
	full := e.Token(t, "admin", "")
	if a := e.do(t, call{method: "PATCH", path: "/admin/v1/clients/escalate", token: full, body: patch}); a.status != http.StatusOK {
		t.Fatalf("patch by a token that holds the scope: %d %s", a.status, a.body)
	}
	// Keeping a scope it already has needs no more than clients:write.
	rename := map[string]any{"client_name": "Escalate"}
	if a := e.do(t, call{method: "PATCH", path: "/admin/v1/clients/escalate", token: narrow, body: rename}); a.status != http.StatusOK {
		t.Fatalf("patch keeping its scopes: %d %s", a.status, a.body)
	}
}
