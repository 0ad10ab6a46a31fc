package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// exchangeForm is a raw code exchange, for tests that need the exact answer.
func exchangeForm(f *flow, code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.conf.RedirectURL}, "code_verifier": {f.verifier}}
}

func TestCodeBindings(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now })
	webAuth := basic(as.WebClientID, as.WebClientSecret)
	b := newBrowser(t, as)
	tests := []struct {
		name string
		edit func(url.Values)
		auth header
		want string
	}{
		{"wrong verifier", func(v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }, webAuth, "invalid_grant"},
		{"missing verifier", func(v url.Values) { v.Del("code_verifier") }, webAuth, "invalid_request"},
		{"malformed verifier", func(v url.Values) { v.Set("code_verifier", "short") }, webAuth, "invalid_request"},
		{"other redirect_uri", func(v url.Values) { v.Set("redirect_uri", as.RedirectURI+"x") }, webAuth, "invalid_grant"},
		{"redirect_uri omitted", func(v url.Values) { v.Del("redirect_uri") }, webAuth, "invalid_grant"},
		{"another client", func(v url.Values) { v.Set("client_id", as.SPAClientID) }, header{"X-None", "x"}, "invalid_grant"},
		{"unknown code", func(v url.Values) { v.Set("code", "nope") }, webAuth, "invalid_grant"},
		{"missing code", func(v url.Values) { v.Del("code") }, webAuth, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := webFlow(as, "openid")
			form := exchangeForm(f, b.signIn(f))
			tt.edit(form)
			if status, body := postForm(t, as.URL+"/token", form, tt.auth); status != 400 || body["error"] != tt.want {
				t.Fatalf("got %d %v, want 400 %s", status, body, tt.want)
			}
		})
	}
	t.Run("expired code", func(t *testing.T) {
		f := webFlow(as, "openid")
		code := b.signIn(f)
		clk.Add(61 * time.Second)
		if status, body := postForm(t, as.URL+"/token", exchangeForm(f, code), webAuth); status != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("code after 61s: %d %v", status, body)
		}
	})
}

// TestCodeRedeemedConcurrently: 50 goroutines redeem one code at once;
// exactly one gets tokens, and the replays revoke what it got.
// TestUsedCodeFromAnotherClient: a leaked, already used code presented by
// another client is refused without revoking its owner's grant.
func TestUsedCodeFromAnotherClient(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	f := webFlow(as, "openid", "offline_access")
	form := exchangeForm(f, b.signIn(f))
	status, tok := postForm(t, as.URL+"/token", form, basic(as.WebClientID, as.WebClientSecret))
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	form.Set("client_id", as.SPAClientID)
	if status, body := postForm(t, as.URL+"/token", form); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("used code from another client: %d %v", status, body)
	}
	if status, body := refreshed(t, as, tok["refresh_token"].(string), nil); status != 200 {
		t.Fatalf("the owner's grant was revoked by another client's replay: %d %v", status, body)
	}
}

func TestCodeRedeemedConcurrently(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	f := webFlow(as, "openid", "offline_access", "read:users")
	form := exchangeForm(f, b.signIn(f))
	auth := basic(as.WebClientID, as.WebClientSecret)
	var mu sync.Mutex
	var wins []map[string]any
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body := postForm(t, as.URL+"/token", form, auth)
			switch {
			case status == 200:
				mu.Lock()
				wins = append(wins, body)
				mu.Unlock()
			case status != 400 || body["error"] != "invalid_grant":
				t.Errorf("unexpected answer %d %v", status, body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d of 50 concurrent redemptions succeeded, want exactly 1", len(wins))
	}
	// The replays revoked the winner's tokens (RFC 9700 section 4.5).
	status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {wins[0]["access_token"].(string)}}, auth)
	if status != 200 || body["active"] != false {
		t.Fatalf("access token of a replayed code: %v", body)
	}
	rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {wins[0]["refresh_token"].(string)}}
	if status, body := postForm(t, as.URL+"/token", rf, auth); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh token of a replayed code: %d %v", status, body)
	}
}

// refreshed runs a refresh grant.
func refreshed(t *testing.T, as *authservertest.Server, rt string, extra url.Values) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	return postForm(t, as.URL+"/token", form, basic(as.WebClientID, as.WebClientSecret))
}

func TestRefreshRotation(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now })
	_, _, tok := signedIn(t, as, "openid", "offline_access", "read:users")
	status, first := refreshed(t, as, tok.RefreshToken, nil)
	if status != 200 || first["refresh_token"] == tok.RefreshToken || first["id_token"] == nil {
		t.Fatalf("refresh: %d %v", status, first)
	}
	// A retry within the grace gets the very same successor.
	clk.Add(2 * time.Second)
	status, again := refreshed(t, as, tok.RefreshToken, nil)
	if status != 200 || again["refresh_token"] != first["refresh_token"] || again["access_token"] != first["access_token"] {
		t.Fatalf("retry within the grace: %d, want the same successor", status)
	}
	// Narrowing works; widening does not.
	rt := first["refresh_token"].(string)
	status, narrow := refreshed(t, as, rt, url.Values{"scope": {"read:users"}})
	if status != 200 || narrow["scope"] != "read:users" || narrow["id_token"] != nil {
		t.Fatalf("narrowed refresh: %d %v", status, narrow)
	}
	rt = narrow["refresh_token"].(string)
	if status, body := refreshed(t, as, rt, url.Values{"scope": {"read:users write:users"}}); status != 400 || body["error"] != "invalid_scope" {
		t.Fatalf("widening refresh: %d %v", status, body)
	}
	// The narrowed access token did not narrow the grant.
	status, full := refreshed(t, as, rt, nil)
	if status != 200 || full["scope"] != "openid offline_access read:users" {
		t.Fatalf("refresh after a narrowed one: %d %v", status, full)
	}
	// Another client cannot use it.
	spa := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {full["refresh_token"].(string)}, "client_id": {as.SPAClientID}}
	if status, body := postForm(t, as.URL+"/token", spa); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh by another client: %d %v", status, body)
	}
	// After the grace, the first token's reuse revokes the whole family.
	clk.Add(10 * time.Second)
	if status, body := refreshed(t, as, tok.RefreshToken, nil); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reuse after the grace: %d %v", status, body)
	}
	if status, body := refreshed(t, as, full["refresh_token"].(string), nil); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("the family's newest token after reuse: %d %v", status, body)
	}
	_, intro := postForm(t, as.URL+"/introspect", url.Values{"token": {full["access_token"].(string)}}, basic(as.WebClientID, as.WebClientSecret))
	if intro["active"] != false {
		t.Fatal("access token of a revoked family still active")
	}
}

func TestRefreshExpiry(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Now = clk.Now
		c.RefreshIdleTTL = time.Hour
		c.RefreshMaxTTL = 90 * time.Minute
	})
	_, _, tok := signedIn(t, as, "openid", "offline_access")
	rt := tok.RefreshToken
	for range 2 {
		clk.Add(40 * time.Minute) // within the idle expiry each time
		status, body := refreshed(t, as, rt, nil)
		if status != 200 {
			t.Fatalf("refresh within the idle expiry: %d %v", status, body)
		}
		rt = body["refresh_token"].(string)
	}
	clk.Add(15 * time.Minute) // 95 minutes: past the absolute expiry
	if status, body := refreshed(t, as, rt, nil); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh past the absolute expiry: %d %v", status, body)
	}
}

// TestRefreshConcurrently: 50 goroutines refresh one token at once; every
// one gets the same successor, so the family never branches.
func TestRefreshConcurrently(t *testing.T) {
	as := authservertest.New(t)
	_, f, tok := signedIn(t, as, "openid", "offline_access")
	var mu sync.Mutex
	successors := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body := refreshed(t, as, tok.RefreshToken, nil)
			if status != http.StatusOK {
				t.Errorf("concurrent refresh: %d %v", status, body)
				return
			}
			mu.Lock()
			successors[body["refresh_token"].(string)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if len(successors) != 1 {
		t.Fatalf("50 concurrent refreshes produced %d different successors, want 1", len(successors))
	}
	if _, err := f.conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("the original token within the grace, its successor unused: %v", err)
	}
	for rt := range successors {
		if status, body := refreshed(t, as, rt, nil); status != 200 {
			t.Fatalf("the single successor does not refresh: %d %v", status, body)
		}
	}
	if _, err := f.conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("the original token still refreshes after its successor was used")
	}
}

func TestRevokeRefreshTokenRevokesFamily(t *testing.T) {
	as := authservertest.New(t)
	_, _, tok := signedIn(t, as, "openid", "offline_access")
	_, next := refreshed(t, as, tok.RefreshToken, nil)
	web := basic(as.WebClientID, as.WebClientSecret)
	if status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {next["refresh_token"].(string)}}, web); status != 200 || body["active"] != true || body["token_type"] != nil || body["exp"] == nil {
		t.Fatalf("introspecting the live refresh token: %d %v", status, body)
	}
	if _, body := postForm(t, as.URL+"/introspect", url.Values{"token": {next["refresh_token"].(string)}}, basic(as.ClientID, as.ClientSecret)); body["active"] != false {
		t.Fatal("another client learned about a refresh token")
	}
	if status, body := postForm(t, as.URL+"/revoke", url.Values{"token": {next["refresh_token"].(string)}, "token_type_hint": {"refresh_token"}}, basic(as.ClientID, as.ClientSecret)); status != 400 || body["error"] != "unauthorized_client" {
		t.Fatalf("revocation by another client: %d %v", status, body)
	}
	if status, _ := postForm(t, as.URL+"/revoke", url.Values{"token": {next["refresh_token"].(string)}}, web); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if status, _ := refreshed(t, as, next["refresh_token"].(string), nil); status != 400 {
		t.Fatal("revoked refresh token still works")
	}
	if _, body := postForm(t, as.URL+"/introspect", url.Values{"token": {next["access_token"].(string)}}, web); body["active"] != false {
		t.Fatal("access token of a revoked family still active")
	}
}

// TestResourceAtTokenEndpoint: RFC 8707 resource narrows a user token's
// audience and scopes at the code exchange and at refresh.
func TestResourceAtTokenEndpoint(t *testing.T) {
	const billing = "https://billing.example.com"
	as := authservertest.New(t, func(c *authserver.Config) {
		c.APIs = append(c.APIs, authserver.API{Identifier: billing, Scopes: []string{"read:invoices"}})
		c.Clients[1].Scopes = append(c.Clients[1].Scopes, "read:invoices")
	})
	b := newBrowser(t, as)
	f := webFlow(as, "openid", "offline_access", "read:users", "read:invoices")
	form := exchangeForm(f, b.signIn(f))
	form.Set("resource", billing)
	status, tok := postForm(t, as.URL+"/token", form, basic(as.WebClientID, as.WebClientSecret))
	if status != 200 {
		t.Fatalf("exchange with resource: %d %v", status, tok)
	}
	c := verify(t, as.URL, tok["access_token"].(string))
	if len(c.Audience) != 1 || c.Audience[0] != billing || c.Scope != "openid offline_access read:invoices" {
		t.Fatalf("token for one resource: aud %v scope %q", c.Audience, c.Scope)
	}
	rt := tok["refresh_token"].(string)
	status, next := refreshed(t, as, rt, url.Values{"resource": {authservertest.API}})
	if status != 200 {
		t.Fatalf("refresh with resource: %d %v", status, next)
	}
	if c := verify(t, as.URL, next["access_token"].(string)); len(c.Audience) != 1 || c.Audience[0] != authservertest.API || c.Scope != "openid offline_access read:users" {
		t.Fatalf("refreshed token for the other resource: aud %v scope %q", c.Audience, c.Scope)
	}
	if status, body := refreshed(t, as, next["refresh_token"].(string), url.Values{"resource": {"https://nope.example"}}); status != 400 || body["error"] != "invalid_target" {
		t.Fatalf("refresh with an unknown resource: %d %v", status, body)
	}
	// A narrowed refresh leaves the other resource without a scope.
	rt = next["refresh_token"].(string)
	if status, body := refreshed(t, as, rt, url.Values{"scope": {"read:users"}, "resource": {authservertest.API, billing}}); status != 400 || body["error"] != "invalid_target" {
		t.Fatalf("refresh for a resource the narrowed scope is not at: %d %v", status, body)
	}
}

// TestPublicClientRevokes: a public client revokes its own refresh token
// with its client_id alone.
func TestPublicClientRevokes(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	f := newFlow(as, as.SPAClientID, "", "openid", "offline_access")
	f.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	tok, err := f.exchange(f.code(t, as, b.consent(b.login(b.get(f.authURL()), as.Username, as.Password), "allow").location(t)))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"token": {tok.RefreshToken}, "client_id": {as.SPAClientID}}
	if status, body := postForm(t, as.URL+"/revoke", form); status != 200 {
		t.Fatalf("public revocation: %d %v", status, body)
	}
	rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {as.SPAClientID}}
	if status, _ := postForm(t, as.URL+"/token", rf); status != 400 {
		t.Fatal("revoked refresh token still works")
	}
}
