package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/audit/audittest"
	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// dpopPost posts form to u with the DPoP header values proofs (each its
// own header line) and headers, and returns the status, the response
// headers and the decoded body.
func dpopPost(t testing.TB, u string, form url.Values, proofs []string, headers ...header) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, p := range proofs {
		req.Header.Add(dpop.Header, p)
	}
	for _, h := range headers {
		req.Header.Set(h.key, h.value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, decode(t, resp)
}

// ccForm is a client credentials token request.
var ccForm = url.Values{"grant_type": {"client_credentials"}, "scope": {"list:users"}}

// proofOf returns a proof of key for a POST to u carrying nonce.
func proofOf(t testing.TB, key *dpop.Key, u, nonce string) []string {
	t.Helper()
	p, err := key.Proof(http.MethodPost, u, "", nonce)
	if err != nil {
		t.Fatal(err)
	}
	return []string{p}
}

func newKey(t testing.TB) *dpop.Key {
	t.Helper()
	k, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDPoPProofDefects sends every proof defect of the shared table to the
// token endpoint, without and with server nonces: each is refused with 400
// and its RFC 9449 error, and audited without the proof's text.
func TestDPoPProofDefects(t *testing.T) {
	for _, nonces := range []bool{false, true} {
		mode := map[bool]string{false: "no nonces", true: "nonces"}[nonces]
		events := &audittest.Log{}
		as := authservertest.New(t, func(c *authserver.Config) { c.DPoP.Nonce = nonces; c.Auditor = events })
		auth := basic(as.ClientID, as.ClientSecret)
		s := dpoptest.NewSigner(t)
		req := dpoptest.Request{Method: http.MethodPost, URL: as.URL + "/token"}
		if nonces {
			_, h, _ := dpopPost(t, as.URL+"/token", ccForm, nil, auth)
			if req.Nonce = h.Get(dpop.NonceHeader); req.Nonce == "" {
				t.Fatal("no DPoP-Nonce on a token answer with nonces required")
			}
		}
		for _, d := range s.Defects(req) {
			t.Run(mode+"/"+d.Name, func(t *testing.T) {
				status, h, body := dpopPost(t, as.URL+"/token", ccForm, d.Header, auth)
				if status != http.StatusBadRequest || body["error"] != d.Code {
					t.Fatalf("got %d %v, want 400 %s", status, body, d.Code)
				}
				if nonces && h.Get(dpop.NonceHeader) == "" {
					t.Fatal("a refusal without a fresh DPoP-Nonce")
				}
			})
		}
		t.Run(mode+"/good proof", func(t *testing.T) {
			status, _, body := dpopPost(t, as.URL+"/token", ccForm, []string{s.Proof(req)}, auth)
			if status != http.StatusOK || body["token_type"] != "DPoP" {
				t.Fatalf("good proof: %d %v", status, body)
			}
		})
		refused := events.OfType(audit.TokenRefused)
		if len(refused) < len(s.Defects(req)) {
			t.Fatalf("%d refusals audited, want one per defect", len(refused))
		}
		for _, e := range refused {
			for k, v := range e.Detail {
				if strings.Contains(v.(string), "eyJ") {
					t.Fatalf("audit detail %s holds a proof: %q", k, v)
				}
			}
		}
	}
}

// TestDPoPClientCredentials: a proof binds the token to its key; without
// one the token is a bearer token, unless the client is registered with
// dpop_bound_access_tokens.
func TestDPoPClientCredentials(t *testing.T) {
	boundSecret, boundHash := authserver.NewSecret()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{ID: "bound", SecretHash: boundHash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}, DPoPBoundAccessTokens: true})
	})
	key := newKey(t)
	status, _, body := dpopPost(t, as.URL+"/token", ccForm, proofOf(t, key, as.URL+"/token", ""), basic(as.ClientID, as.ClientSecret))
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("with a proof: %d %v", status, body)
	}
	if c := verify(t, as.URL, body["access_token"].(string)); c.Confirmation == nil || c.Confirmation.JKT != key.Thumbprint() {
		t.Fatalf("cnf = %+v, want jkt %s", c.Confirmation, key.Thumbprint())
	}
	status, _, body = dpopPost(t, as.URL+"/token", ccForm, nil, basic(as.ClientID, as.ClientSecret))
	if status != http.StatusOK || body["token_type"] != "Bearer" || verify(t, as.URL, body["access_token"].(string)).Confirmation != nil {
		t.Fatalf("without a proof: %d %v, want an unbound Bearer token", status, body)
	}

	status, _, body = dpopPost(t, as.URL+"/token", ccForm, nil, basic("bound", boundSecret))
	if status != http.StatusBadRequest || body["error"] != dpop.CodeInvalidProof {
		t.Fatalf("dpop_bound_access_tokens client without a proof: %d %v", status, body)
	}
	status, _, body = dpopPost(t, as.URL+"/token", ccForm, proofOf(t, key, as.URL+"/token", ""), basic("bound", boundSecret))
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("dpop_bound_access_tokens client with a proof: %d %v", status, body)
	}
}

// TestDPoPReplay: a proof is good for one token request; of many racing
// with the same proof, exactly one wins.
func TestDPoPReplay(t *testing.T) {
	as := authservertest.New(t)
	auth := basic(as.ClientID, as.ClientSecret)
	key := newKey(t)
	proof := proofOf(t, key, as.URL+"/token", "")
	if status, _, body := dpopPost(t, as.URL+"/token", ccForm, proof, auth); status != http.StatusOK {
		t.Fatalf("first use: %d %v", status, body)
	}
	if status, _, body := dpopPost(t, as.URL+"/token", ccForm, proof, auth); status != http.StatusBadRequest || body["error"] != dpop.CodeInvalidProof {
		t.Fatalf("replay: %d %v", status, body)
	}
	if w, l := raceProof(t, []string{as.URL + "/token"}, proofOf(t, key, as.URL+"/token", ""), auth); w != 1 || l != 49 {
		t.Fatalf("50 requests with one proof: %d won, %d refused; want 1 and 49", w, l)
	}
}

// raceProof sends one proof in 50 concurrent token requests spread over
// the endpoints, and counts the tokens issued and the invalid_dpop_proof
// refusals.
func raceProof(t *testing.T, endpoints []string, proof []string, auth header) (wins, losses int32) {
	t.Helper()
	var won, lost atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 50 {
		wg.Go(func() {
			<-start
			status, _, body := dpopPost(t, endpoints[i%len(endpoints)], ccForm, proof, auth)
			switch {
			case status == http.StatusOK:
				won.Add(1)
			case body["error"] == dpop.CodeInvalidProof:
				lost.Add(1)
			default:
				t.Errorf("racing request: %d %v", status, body)
			}
		})
	}
	close(start)
	wg.Wait()
	return won.Load(), lost.Load()
}

// TestDPoPNonces: with nonces required, a proof without one gets
// use_dpop_nonce and the nonce to use; every answer carries a fresh one;
// an instance with the same secret accepts another's nonces, and a nonce
// past its windows, or from a server with another secret, is refused.
func TestDPoPNonces(t *testing.T) {
	clk := &clock{t: time.Now()}
	path := t.TempDir()
	c := authservertest.NewCluster(t, 2, sharedSQLite(path), func(cfg *authserver.Config) { cfg.DPoP.Nonce = true; cfg.Now = clk.Now })
	a, b := c.Nodes[0], c.Nodes[1]
	htu := c.Issuer + "/token"
	auth := basic(a.ClientID, a.ClientSecret)
	key := newKey(t)
	key.Clock = clk.Now

	status, h, body := dpopPost(t, a.URL+"/token", ccForm, proofOf(t, key, htu, ""), auth)
	nonce := h.Get(dpop.NonceHeader)
	if status != http.StatusBadRequest || body["error"] != dpop.CodeUseNonce || nonce == "" {
		t.Fatalf("proof without a nonce: %d %v, DPoP-Nonce %q", status, body, nonce)
	}
	status, h, body = dpopPost(t, a.URL+"/token", ccForm, proofOf(t, key, htu, nonce), auth)
	if status != http.StatusOK || body["token_type"] != "DPoP" || h.Get(dpop.NonceHeader) == "" {
		t.Fatalf("retry with the nonce: %d %v, DPoP-Nonce %q", status, body, h.Get(dpop.NonceHeader))
	}
	if status, _, body := dpopPost(t, b.URL+"/token", ccForm, proofOf(t, key, htu, nonce), auth); status != http.StatusOK {
		t.Fatalf("A's nonce at B: %d %v", status, body)
	}
	if _, h, _ := dpopPost(t, a.URL+"/token", url.Values{}, nil); h.Get(dpop.NonceHeader) == "" {
		t.Fatal("an invalid request's answer carries no DPoP-Nonce")
	}

	other := authservertest.New(t, func(cfg *authserver.Config) { cfg.DPoP.Nonce = true })
	_, h, _ = dpopPost(t, other.URL+"/token", ccForm, nil, basic(other.ClientID, other.ClientSecret))
	if status, _, body := dpopPost(t, a.URL+"/token", ccForm, proofOf(t, key, htu, h.Get(dpop.NonceHeader)), auth); status != http.StatusBadRequest || body["error"] != dpop.CodeUseNonce {
		t.Fatalf("a nonce of a server with another secret: %d %v", status, body)
	}
	// A nonce is good in its window and the next (dpop.DefaultNonceWindow).
	clk.Add(2*dpop.DefaultNonceWindow + time.Second)
	status, h, body = dpopPost(t, a.URL+"/token", ccForm, proofOf(t, key, htu, nonce), auth)
	if status != http.StatusBadRequest || body["error"] != dpop.CodeUseNonce || h.Get(dpop.NonceHeader) == nonce {
		t.Fatalf("stale nonce: %d %v, DPoP-Nonce %q", status, body, h.Get(dpop.NonceHeader))
	}
}

// sharedSQLite opens one SQLite file in dir for every node of a cluster,
// as instances on one host would share it.
func sharedSQLite(dir string) func(testing.TB) store.Store {
	return func(tb testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, "shared.db"))
		if err != nil {
			tb.Fatal(err)
		}
		return st
	}
}

// TestDPoPClientCredentialsInterop: golang.org/x/oauth2's client
// credentials flow, given the dpop package's HTTP client, gets DPoP-bound
// tokens from the real server, with and without server nonces (the
// transport retries once on use_dpop_nonce).
func TestDPoPClientCredentialsInterop(t *testing.T) {
	for _, nonces := range []bool{false, true} {
		as := authservertest.New(t, func(c *authserver.Config) { c.DPoP.Nonce = nonces })
		key := newKey(t)
		cc := clientcredentials.Config{ClientID: as.ClientID, ClientSecret: as.ClientSecret, TokenURL: as.URL + "/token",
			Scopes: []string{"list:users"}, AuthStyle: oauth2.AuthStyleInHeader}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, dpop.HTTPClient(key, nil))
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("nonces %v: %v", nonces, err)
		}
		if tok.TokenType != "DPoP" || tok.Type() != "DPoP" {
			t.Fatalf("nonces %v: token_type %q", nonces, tok.TokenType)
		}
		if c := verify(t, as.URL, tok.AccessToken); c.Confirmation == nil || c.Confirmation.JKT != key.Thumbprint() {
			t.Fatalf("nonces %v: cnf %+v", nonces, c.Confirmation)
		}
	}
}

// TestDPoPCORS: a browser client's preflight may send the DPoP header, and
// the answers expose DPoP-Nonce, which it needs to retry (RFC 9449
// section 8).
func TestDPoPCORS(t *testing.T) {
	as := authservertest.New(t, func(c *authserver.Config) { c.DPoP.Nonce = true })
	origin := as.App.URL
	req, _ := http.NewRequest(http.MethodOptions, as.URL+"/token", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "dpop, content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), dpop.Header) {
		t.Fatalf("preflight allows headers %q, want DPoP", resp.Header.Get("Access-Control-Allow-Headers"))
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {as.SPAClientID}}
	_, h, _ := dpopPost(t, as.URL+"/token", form, proofOf(t, newKey(t), as.URL+"/token", ""), header{"Origin", origin})
	if !strings.Contains(h.Get("Access-Control-Expose-Headers"), dpop.NonceHeader) || h.Get(dpop.NonceHeader) == "" {
		t.Fatalf("exposed headers %q, DPoP-Nonce %q", h.Get("Access-Control-Expose-Headers"), h.Get(dpop.NonceHeader))
	}
}
