package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// publicURL is the gateway's public_url in the DPoP tests: clients make
// their proofs for it, whatever address they reach the gateway at.
const publicURL = "https://api.example.com"

// newDPoPIssuer starts a fake issuer, which mints bound tokens.
func newDPoPIssuer(t *testing.T) *guardtest.Issuer {
	iss := guardtest.NewIssuer()
	t.Cleanup(iss.Close)
	return iss
}

// dpopHeader is a request's Authorization and DPoP headers.
func dpopHeader(authorization string, proofs ...string) http.Header {
	h := http.Header{"Authorization": {authorization}}
	if len(proofs) > 0 {
		h["Dpop"] = proofs
	}
	return h
}

// TestGatewayDPoP sends bound and unbound tokens to routes of each DPoP
// mode through the real gateway: each route accepts what its mode says,
// and the token and proof reach the upstream unchanged.
func TestGatewayDPoP(t *testing.T) {
	iss := newDPoPIssuer(t)
	up := echo(t)
	gw := start(t, iss.URL, func(c *gateway.Config) { c.PublicURL = publicURL },
		gateway.Route{Path: "/required", Upstream: up.URL, Scopes: []string{"list:users"}, DPoP: "required"},
		gateway.Route{Path: "/allowed", Upstream: up.URL, Scopes: []string{"list:users"}},
		gateway.Route{Path: "/off", Upstream: up.URL, Scopes: []string{"list:users"}, DPoP: "off"},
	)
	s := dpoptest.NewSigner(t)
	bound, unbound := iss.BoundToken("list:users", s.JKT), iss.Token("list:users")
	proof := func(path, token string) string {
		return s.Proof(dpoptest.Request{Method: http.MethodGet, URL: publicURL + path, AccessToken: token})
	}
	replayed := proof("/allowed", bound)
	if resp, body := do(t, http.MethodGet, gw.URL+"/allowed", "", dpopHeader("DPoP "+bound, replayed)); resp.StatusCode != http.StatusOK {
		t.Fatalf("first use of a proof: status %d, %s", resp.StatusCode, body)
	}
	tests := []struct {
		name          string
		path          string
		authorization string
		proof         string
		status        int
		// challenges are the refusal's WWW-Authenticate schemes.
		challenges string
	}{
		{name: "required: bound token with proof", path: "/required", authorization: "DPoP " + bound, proof: proof("/required", bound), status: 200},
		{name: "required: proof below the route", path: "/required/7", authorization: "DPoP " + bound, proof: proof("/required/7", bound), status: 200},
		{name: "required: bearer", path: "/required", authorization: "Bearer " + unbound, status: 401, challenges: "DPoP"},
		{name: "required: bound token as bearer", path: "/required", authorization: "Bearer " + bound, status: 401, challenges: "DPoP"},
		{name: "required: proof for the gateway's loopback address", path: "/required", authorization: "DPoP " + bound,
			proof: s.Proof(dpoptest.Request{Method: http.MethodGet, URL: "http://127.0.0.1/required", AccessToken: bound}), status: 401, challenges: "DPoP"},
		{name: "required: proof for another route", path: "/required", authorization: "DPoP " + bound, proof: proof("/allowed", bound), status: 401, challenges: "DPoP"},
		{name: "allowed: bearer", path: "/allowed", authorization: "Bearer " + unbound, status: 200},
		{name: "allowed: bound token with proof", path: "/allowed", authorization: "DPoP " + bound, proof: proof("/allowed", bound), status: 200},
		{name: "allowed: bound token as bearer", path: "/allowed", authorization: "Bearer " + bound, status: 401, challenges: "Bearer DPoP"},
		{name: "allowed: unbound token under DPoP", path: "/allowed", authorization: "DPoP " + unbound, proof: proof("/allowed", unbound), status: 401, challenges: "Bearer DPoP"},
		{name: "allowed: replayed proof", path: "/allowed", authorization: "DPoP " + bound, proof: replayed, status: 401, challenges: "Bearer DPoP"},
		{name: "off: bearer", path: "/off", authorization: "Bearer " + unbound, status: 200},
		{name: "off: bound token with proof", path: "/off", authorization: "DPoP " + bound, proof: proof("/off", bound), status: 401, challenges: "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proofs []string
			if tt.proof != "" {
				proofs = append(proofs, tt.proof)
			}
			resp, body := do(t, http.MethodGet, gw.URL+tt.path, "", dpopHeader(tt.authorization, proofs...))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusOK {
				var schemes []string
				for _, c := range resp.Header.Values("WWW-Authenticate") {
					schemes = append(schemes, strings.Fields(c)[0])
				}
				if got := strings.Join(schemes, " "); got != tt.challenges {
					t.Errorf("challenges %q, want schemes %q", resp.Header.Values("WWW-Authenticate"), tt.challenges)
				}
				return
			}
			var got seen
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if a := got.Headers.Values("Authorization"); len(a) != 1 || a[0] != tt.authorization {
				t.Errorf("upstream got Authorization %q, want %q", a, tt.authorization)
			}
			if p := got.Headers.Values("DPoP"); strings.Join(p, ",") != tt.proof {
				t.Errorf("upstream got DPoP %q, want %q", p, tt.proof)
			}
		})
	}
}

// TestGatewayDPoPWithoutPublicURL: without public_url the default route
// takes bearer tokens and refuses bound ones, whose proofs it could only
// check against a URL the client chose.
func TestGatewayDPoPWithoutPublicURL(t *testing.T) {
	iss := newDPoPIssuer(t)
	gw := start(t, iss.URL, nil, gateway.Route{Path: "/users", Upstream: echo(t).URL})
	s := dpoptest.NewSigner(t)
	bound := iss.BoundToken("list:users", s.JKT)
	if resp, body := do(t, http.MethodGet, gw.URL+"/users", iss.Token("list:users"), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("bearer: status %d, %s", resp.StatusCode, body)
	}
	p := s.Proof(dpoptest.Request{Method: http.MethodGet, URL: gw.URL + "/users", AccessToken: bound})
	resp, body := do(t, http.MethodGet, gw.URL+"/users", "", dpopHeader("DPoP "+bound, p))
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="https://api.example.com"` {
		t.Fatalf("bound token: status %d, %q, %s; want 401 with a Bearer challenge only", resp.StatusCode, resp.Header.Values("WWW-Authenticate"), body)
	}
}

// TestGatewayDPoPNonce: with dpop_nonce_key, a proof without the
// gateway's nonce gets use_dpop_nonce, and the nonce it is given works.
func TestGatewayDPoPNonce(t *testing.T) {
	iss := newDPoPIssuer(t)
	gw := start(t, iss.URL, func(c *gateway.Config) {
		c.PublicURL, c.DPoPNonceKey = publicURL, strings.Repeat("0f", 32)
	}, gateway.Route{Path: "/users", Upstream: nonceUpstream(t), DPoP: "required"})
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	req := dpoptest.Request{Method: http.MethodGet, URL: publicURL + "/users", AccessToken: token}
	resp, body := do(t, http.MethodGet, gw.URL+"/users", "", dpopHeader("DPoP "+token, s.Proof(req)))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="`+dpop.CodeUseNonce+`"`) {
		t.Fatalf("without a nonce: status %d, %q, %s", resp.StatusCode, resp.Header.Values("WWW-Authenticate"), body)
	}
	if req.Nonce = resp.Header.Get("DPoP-Nonce"); req.Nonce == "" {
		t.Fatal("use_dpop_nonce without DPoP-Nonce")
	}
	resp, body = do(t, http.MethodGet, gw.URL+"/users", "", dpopHeader("DPoP "+token, s.Proof(req)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with the nonce: status %d, %s", resp.StatusCode, body)
	}
	// The answer carries the gateway's nonce, not the upstream's too.
	if got := resp.Header.Values("DPoP-Nonce"); len(got) != 1 || got[0] == "upstream-nonce" {
		t.Errorf("DPoP-Nonce %q, want the gateway's alone", got)
	}
}

// nonceUpstream is an upstream that answers with a DPoP-Nonce of its own.
func nonceUpstream(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", "upstream-nonce")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
