package guard_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestDPoPIntrospection: an opaque token whose introspection answer binds
// it (cnf.jkt, token_type DPoP) needs a proof of that key, on the first
// request and on those answered from the cache.
func TestDPoPIntrospection(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	token := iss.BoundOpaqueToken("list:users", s.JKT)
	h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed}, withIntrospection(newClock())).Middleware(whoami)
	req := dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}
	checkRefusal(t, send(h, http.MethodGet, "/users", "Bearer "+token),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "Bearer", code: guard.CodeInvalidToken})
	for i := range 2 {
		if w := send(h, http.MethodGet, "/users", "DPoP "+token, s.Proof(req)); w.Code != http.StatusOK || w.Body.String() != "user-1 "+s.JKT {
			t.Fatalf("request %d with a proof: status %d, %s", i, w.Code, w.Body)
		}
	}
	checkRefusal(t, send(h, http.MethodGet, "/users", "DPoP "+token, dpoptest.NewSigner(t).Proof(req)),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "DPoP", code: dpop.CodeInvalidProof})
	checkRefusal(t, send(h, http.MethodGet, "/users", "Bearer "+token),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "Bearer", code: guard.CodeInvalidToken})
	if n := iss.Requests("/introspect"); n != 1 {
		t.Errorf("%d introspections, want 1", n)
	}
}

// TestDPoPIntrospectionWithoutKey: an introspection answer that calls the
// token DPoP but names no key is refused, under either scheme.
func TestDPoPIntrospectionWithoutKey(t *testing.T) {
	iss := newIssuer(t)
	iss.Wrap("/introspect", func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"active":true,"token_type":"DPoP","aud":%q,"sub":"user-1","scope":"list:users","exp":%d}`, guardtest.Audience, time.Now().Add(time.Hour).Unix())
		})
	})
	s := dpoptest.NewSigner(t)
	h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed}, withIntrospection(newClock())).Middleware(whoami)
	token := "opaque-token"
	proof := s.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token})
	checkRefusal(t, send(h, http.MethodGet, "/users", "DPoP "+token, proof),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "DPoP", code: guard.CodeInvalidToken})
	checkRefusal(t, send(h, http.MethodGet, "/users", "Bearer "+token),
		refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "Bearer", code: guard.CodeInvalidToken})
}
