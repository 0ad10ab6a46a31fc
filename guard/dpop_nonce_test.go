package guard_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
)

// TestDPoPNonce checks resource-server nonces (RFC 9449 section 9): a
// proof without a nonce gets use_dpop_nonce and a DPoP-Nonce, a proof
// with it passes and gets a nonce again; and dpop's client does the same
// dance by itself over HTTP.
func TestDPoPNonce(t *testing.T) {
	iss := newIssuer(t)
	nonces, err := dpop.NewNonces(make([]byte, dpop.MinNonceKeySize), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPRequired, Nonces: nonces}).Middleware(whoami)
	req := dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}

	w := send(h, http.MethodGet, "/users", "DPoP "+token, s.Proof(req))
	checkRefusal(t, w, refusal{status: http.StatusUnauthorized, schemes: "DPoP", on: "DPoP", code: dpop.CodeUseNonce})
	req.Nonce = w.Header().Get("DPoP-Nonce")
	if req.Nonce == "" {
		t.Fatal("use_dpop_nonce without DPoP-Nonce")
	}
	w = send(h, http.MethodGet, "/users", "DPoP "+token, s.Proof(req))
	if w.Code != http.StatusOK {
		t.Fatalf("with the nonce: status %d, %s", w.Code, w.Body)
	}
	if w.Header().Get("DPoP-Nonce") == "" {
		t.Error("a successful answer carries no DPoP-Nonce")
	}

	// Over HTTP with the dpop package's client, which retries once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	g := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPRequired, PublicURL: public, Nonces: nonces})
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: g.Middleware(whoami)}}
	srv.Start()
	t.Cleanup(srv.Close)
	client := dpop.NewClient(key, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: iss.BoundToken("list:users", key.Thumbprint()), TokenType: "DPoP"}), nil)
	resp, err := client.Get(public + "/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dpop client: status %d, %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
}
