package authserver_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
)

// codeAt signs the demo user in through the pages from the authorization
// URL authz, consenting if asked, and returns f's code.
func codeAt(t *testing.T, as *authservertest.Server, f *flow, authz string) string {
	t.Helper()
	b := newBrowser(t, as)
	p := b.get(authz)
	if p.status == http.StatusOK {
		p = b.login(p, as.Username, as.Password)
	}
	if p.status == http.StatusOK {
		p = b.consent(p, "allow")
	}
	return f.code(t, as, p.location(t))
}

// tokenWithProof posts a token request of f's client, with a proof of key
// (nil: none).
func tokenWithProof(t *testing.T, as *authservertest.Server, f *flow, form url.Values, key *dpop.Key) (int, map[string]any) {
	t.Helper()
	var auth []header
	if f.conf.ClientSecret != "" {
		auth = append(auth, basic(f.conf.ClientID, f.conf.ClientSecret))
	} else {
		form.Set("client_id", f.conf.ClientID)
	}
	var proofs []string
	if key != nil {
		proofs = proofOf(t, key, as.URL+"/token", "")
	}
	status, _, body := dpopPost(t, as.URL+"/token", form, proofs, auth...)
	return status, body
}

func refreshForm(rt any) url.Values {
	s, _ := rt.(string)
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s}}
}

// wantBound checks a token response's access token is bound to key.
func wantBound(t *testing.T, as *authservertest.Server, status int, body map[string]any, key *dpop.Key) {
	t.Helper()
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("got %d %v, want a DPoP token", status, body)
	}
	if c := verify(t, as.URL, body["access_token"].(string)); c.Confirmation == nil || c.Confirmation.JKT != key.Thumbprint() {
		t.Fatalf("cnf %+v, want jkt %s", c.Confirmation, key.Thumbprint())
	}
}

func wantError(t *testing.T, what string, status int, body map[string]any, code string) {
	t.Helper()
	if status != http.StatusBadRequest || body["error"] != code {
		t.Fatalf("%s: %d %v, want 400 %s", what, status, body, code)
	}
}

// TestDPoPCodeFlow: a code exchange with a proof binds the access token;
// a confidential client's refresh token stays unbound (RFC 9449 section
// 5), a public client's is bound to the key, refused without a proof of
// it (and that refusal revokes nothing), and keeps its binding when
// rotated.
func TestDPoPCodeFlow(t *testing.T) {
	as := authservertest.New(t)
	key, other := newKey(t), newKey(t)

	web := webFlow(as, "openid", "offline_access", "read:users")
	status, body := tokenWithProof(t, as, web, exchangeForm(web, codeAt(t, as, web, web.authURL())), key)
	wantBound(t, as, status, body, key)
	status, body = tokenWithProof(t, as, web, refreshForm(body["refresh_token"]), nil)
	if status != http.StatusOK || body["token_type"] != "Bearer" {
		t.Fatalf("confidential client's refresh without a proof: %d %v", status, body)
	}

	spa := newFlow(as, as.SPAClientID, "", "openid", "offline_access")
	status, body = tokenWithProof(t, as, spa, exchangeForm(spa, codeAt(t, as, spa, spa.authURL())), key)
	wantBound(t, as, status, body, key)
	rt := body["refresh_token"]
	status, body = tokenWithProof(t, as, spa, refreshForm(rt), nil)
	wantError(t, "public client's refresh without a proof", status, body, "invalid_grant")
	status, body = tokenWithProof(t, as, spa, refreshForm(rt), other)
	wantError(t, "public client's refresh with another key", status, body, "invalid_grant")
	status, body = tokenWithProof(t, as, spa, refreshForm(rt), key)
	wantBound(t, as, status, body, key)
	status, body = tokenWithProof(t, as, spa, refreshForm(body["refresh_token"]), other)
	wantError(t, "rotated refresh token with another key", status, body, "invalid_grant")

	// A public client's unbound refresh token is bound by its first
	// refresh with a proof.
	spa = newFlow(as, as.SPAClientID, "", "openid", "offline_access")
	status, body = tokenWithProof(t, as, spa, exchangeForm(spa, codeAt(t, as, spa, spa.authURL())), nil)
	if status != http.StatusOK || body["token_type"] != "Bearer" {
		t.Fatalf("exchange without a proof: %d %v", status, body)
	}
	status, body = tokenWithProof(t, as, spa, refreshForm(body["refresh_token"]), key)
	wantBound(t, as, status, body, key)
	status, body = tokenWithProof(t, as, spa, refreshForm(body["refresh_token"]), nil)
	wantError(t, "refresh token bound on refresh, without a proof", status, body, "invalid_grant")
}

// TestDPoPRefreshRetry: within the grace, a rotated refresh token
// presented again gets the identical response only with a proof of the
// key the rotation proved; another key (or none) is refused and revokes
// nothing, for public and confidential clients alike.
func TestDPoPRefreshRetry(t *testing.T) {
	clk := &clock{t: time.Now()}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now })
	for _, f := range []*flow{
		newFlow(as, as.SPAClientID, "", "openid", "offline_access"),
		webFlow(as, "openid", "offline_access"),
	} {
		t.Run(f.conf.ClientID, func(t *testing.T) {
			key, other := newKey(t), newKey(t)
			key.Clock, other.Clock = clk.Now, clk.Now
			status, body := tokenWithProof(t, as, f, exchangeForm(f, codeAt(t, as, f, f.authURL())), key)
			wantBound(t, as, status, body, key)
			a := body["refresh_token"]
			status, first := tokenWithProof(t, as, f, refreshForm(a), key)
			wantBound(t, as, status, first, key)
			clk.Add(time.Second)
			status, body = tokenWithProof(t, as, f, refreshForm(a), other)
			wantError(t, "retry with another key", status, body, "invalid_grant")
			status, body = tokenWithProof(t, as, f, refreshForm(a), nil)
			wantError(t, "retry without a proof", status, body, "invalid_grant")
			status, again := tokenWithProof(t, as, f, refreshForm(a), key)
			if status != http.StatusOK || again["access_token"] != first["access_token"] || again["refresh_token"] != first["refresh_token"] {
				t.Fatalf("retry with the key: %d %v, want the first response %v", status, again, first)
			}
			status, body = tokenWithProof(t, as, f, refreshForm(first["refresh_token"]), key)
			wantBound(t, as, status, body, key)
		})
	}
}

// TestDPoPCodeBinding: dpop_jkt at the authorization endpoint or the PAR
// endpoint, or a DPoP proof sent to the PAR endpoint, binds the code
// (RFC 9449 section 10): its exchange needs a proof of that key, and a
// refused exchange leaves the code usable by the key's holder.
func TestDPoPCodeBinding(t *testing.T) {
	as := authservertest.New(t)
	key, other := newKey(t), newKey(t)
	webAuth := basic(as.WebClientID, as.WebClientSecret)
	push := func(t *testing.T, f *flow, extra url.Values, proofs []string) (int, map[string]any) {
		t.Helper()
		form := url.Values{"client_id": {as.WebClientID}, "response_type": {"code"}, "redirect_uri": {as.RedirectURI}, "scope": {"openid"},
			"state": {f.state}, "code_challenge": {oauth2.S256ChallengeFromVerifier(f.verifier)}, "code_challenge_method": {"S256"}}
		for k, v := range extra {
			form[k] = v
		}
		status, _, body := dpopPost(t, as.URL+"/par", form, proofs, webAuth)
		return status, body
	}
	pushed := func(t *testing.T, f *flow, extra url.Values, proofs []string) string {
		t.Helper()
		status, body := push(t, f, extra, proofs)
		if status != http.StatusCreated {
			t.Fatalf("PAR: %d %v", status, body)
		}
		return as.URL + "/authorize?" + url.Values{"client_id": {as.WebClientID}, "request_uri": {body["request_uri"].(string)}}.Encode()
	}
	jkt := url.Values{"dpop_jkt": {key.Thumbprint()}}
	tests := []struct {
		name  string
		authz func(t *testing.T, f *flow) string
	}{
		{"dpop_jkt at /authorize", func(t *testing.T, f *flow) string {
			return f.authURL(oauth2.SetAuthURLParam("dpop_jkt", key.Thumbprint()))
		}},
		{"dpop_jkt at /par", func(t *testing.T, f *flow) string { return pushed(t, f, jkt, nil) }},
		{"DPoP proof at /par", func(t *testing.T, f *flow) string { return pushed(t, f, nil, proofOf(t, key, as.URL+"/par", "")) }},
		{"both at /par", func(t *testing.T, f *flow) string { return pushed(t, f, jkt, proofOf(t, key, as.URL+"/par", "")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := webFlow(as, "openid")
			code := codeAt(t, as, f, tt.authz(t, f))
			status, body := tokenWithProof(t, as, f, exchangeForm(f, code), nil)
			wantError(t, "exchange without a proof", status, body, "invalid_grant")
			status, body = tokenWithProof(t, as, f, exchangeForm(f, code), other)
			wantError(t, "exchange with another key", status, body, "invalid_grant")
			status, body = tokenWithProof(t, as, f, exchangeForm(f, code), key)
			wantBound(t, as, status, body, key)
		})
	}

	refusals := []struct {
		name   string
		extra  url.Values
		proofs []string
		code   string
	}{
		{"proof of another key than dpop_jkt", jkt, proofOf(t, other, as.URL+"/par", ""), dpop.CodeInvalidProof},
		{"proof for the token endpoint", nil, proofOf(t, key, as.URL+"/token", ""), dpop.CodeInvalidProof},
		{"two proofs", nil, append(proofOf(t, key, as.URL+"/par", ""), proofOf(t, key, as.URL+"/par", "")...), dpop.CodeInvalidProof},
		{"malformed dpop_jkt", url.Values{"dpop_jkt": {"not-a-thumbprint"}}, nil, "invalid_request"},
		{"dpop_jkt twice", url.Values{"dpop_jkt": {key.Thumbprint(), key.Thumbprint()}}, nil, "invalid_request"},
	}
	for _, tt := range refusals {
		t.Run("PAR refuses "+tt.name, func(t *testing.T) {
			status, body := push(t, webFlow(as, "openid"), tt.extra, tt.proofs)
			wantError(t, "PAR", status, body, tt.code)
		})
	}
}
