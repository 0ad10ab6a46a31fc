package guard_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// testAPI is the public URL of the API in the DPoP tests: requests reach
// the middleware directly, so it is only what proofs' htu must name.
const testAPI = "https://api.example.com:8443"

// dpopGuard builds a guard with d, whose PublicURL defaults to testAPI.
func dpopGuard(t testing.TB, issuer string, d guard.DPoP, opts ...func(*guard.Options)) *guard.Guard {
	t.Helper()
	if d.PublicURL == "" {
		d.PublicURL = testAPI
	}
	return newGuard(t, issuer, append([]func(*guard.Options){func(o *guard.Options) { o.DPoP = d }}, opts...)...)
}

// whoami answers 200 with the caller's subject and key thumbprint.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, _ := guard.CallerFromContext(r.Context())
	fmt.Fprintf(w, "%s %s", c.Subject(), c.Thumbprint())
})

// send sends method to path through h with the Authorization header (none
// when empty) and one DPoP header per proof.
func send(h http.Handler, method, path, authorization string, proofs ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// refusal is what a refused request's answer must be.
type refusal struct {
	status int
	// schemes are the challenges' schemes in order, space-separated.
	schemes string
	// on is the scheme whose challenge carries the error; empty for none.
	on   string
	code string
}

var param = regexp.MustCompile(`([a-z_]+)="([^"]*)"`)

// checkRefusal checks w against want: the status, one WWW-Authenticate
// field per scheme, the error on the right challenge only, algs on the
// DPoP challenge, and the error in the body.
func checkRefusal(t *testing.T, w *httptest.ResponseRecorder, want refusal) {
	t.Helper()
	if w.Code != want.status {
		t.Fatalf("status %d, want %d; body %s", w.Code, want.status, w.Body)
	}
	var schemes []string
	for _, c := range w.Header().Values("WWW-Authenticate") {
		scheme, rest, _ := strings.Cut(c, " ")
		schemes = append(schemes, scheme)
		params := map[string]string{}
		for _, m := range param.FindAllStringSubmatch(rest, -1) {
			params[m[1]] = m[2]
		}
		wantCode := ""
		if scheme == want.on {
			wantCode = want.code
		}
		if params["error"] != wantCode {
			t.Errorf("%s challenge %q: error %q, want %q", scheme, c, params["error"], wantCode)
		}
		if scheme == "DPoP" && !strings.Contains(" "+params["algs"]+" ", " ES256 ") {
			t.Errorf("DPoP challenge %q does not list ES256 in algs", c)
		}
	}
	if got := strings.Join(schemes, " "); got != want.schemes {
		t.Errorf("challenges %q, want schemes %q", w.Header().Values("WWW-Authenticate"), want.schemes)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != want.code {
		t.Errorf("body %s, want error %q", w.Body, want.code)
	}
}

// TestDPoPProofDefects sends every defective proof of the shared table
// with a bound token to a guard that accepts both schemes: each is
// refused with 401 and its code on the DPoP challenge, without and with
// server nonces, while a good proof passes.
func TestDPoPProofDefects(t *testing.T) {
	iss := newIssuer(t)
	nonces, err := dpop.NewNonces(make([]byte, dpop.MinNonceKeySize), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	for _, tc := range []struct {
		name   string
		nonces *dpop.Nonces
	}{{"without nonces", nil}, {"with nonces", nonces}} {
		h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, Nonces: tc.nonces}).Middleware(whoami)
		req := dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token}
		if tc.nonces != nil {
			req.Nonce = tc.nonces.Issue(time.Now())
		}
		for _, d := range s.Defects(req) {
			t.Run(tc.name+"/"+d.Name, func(t *testing.T) {
				w := send(h, req.Method, "/users", "DPoP "+token, d.Header...)
				checkRefusal(t, w, refusal{status: http.StatusUnauthorized, schemes: "Bearer DPoP", on: "DPoP", code: d.Code})
				if (tc.nonces != nil) != (w.Header().Get("DPoP-Nonce") != "") {
					t.Errorf("DPoP-Nonce %q with nonces %v", w.Header().Get("DPoP-Nonce"), tc.nonces != nil)
				}
			})
		}
		t.Run(tc.name+"/good", func(t *testing.T) {
			w := send(h, req.Method, "/users", "DPoP "+token, s.Proof(req))
			if w.Code != http.StatusOK || w.Body.String() != "user-1 "+s.JKT {
				t.Fatalf("status %d, body %s", w.Code, w.Body)
			}
		})
	}
}

// TestDPoPSchemes checks which tokens each mode accepts under which
// scheme, and the challenges of the refusals.
func TestDPoPSchemes(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	bound, unbound := iss.BoundToken("list:users", s.JKT), iss.Token("list:users")
	expired := guardtest.Bind(iss.Claims("list:users"), s.JKT)
	expired["exp"] = time.Now().Add(-time.Minute).Unix()
	expiredToken := iss.Sign(nil, expired)
	proof := func(token string) string {
		return s.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token})
	}
	modes := map[guard.DPoPMode]http.Handler{}
	for _, m := range []guard.DPoPMode{guard.DPoPOff, guard.DPoPAllowed, guard.DPoPRequired} {
		g := dpopGuard(t, iss.URL, guard.DPoP{Mode: m})
		modes[m] = g.Middleware(g.RequireScopes("list:users")(whoami))
	}
	narrow := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed})
	tests := []struct {
		name          string
		handler       http.Handler // nil: modes[mode]
		mode          guard.DPoPMode
		authorization string
		proof         string
		want          refusal // status 200: accepted
	}{
		{name: "off: bearer", mode: guard.DPoPOff, authorization: "Bearer " + unbound, want: refusal{status: 200}},
		{name: "off: bound token as bearer", mode: guard.DPoPOff, authorization: "Bearer " + bound,
			want: refusal{status: 401, schemes: "Bearer", on: "Bearer", code: "invalid_token"}},
		{name: "off: DPoP scheme is another scheme", mode: guard.DPoPOff, authorization: "DPoP " + bound, proof: proof(bound),
			want: refusal{status: 401, schemes: "Bearer"}},
		{name: "allowed: bearer", mode: guard.DPoPAllowed, authorization: "Bearer " + unbound, want: refusal{status: 200}},
		{name: "allowed: bound token with proof", mode: guard.DPoPAllowed, authorization: "DPoP " + bound, proof: proof(bound), want: refusal{status: 200}},
		{name: "allowed: scheme in lower case", mode: guard.DPoPAllowed, authorization: "dpop " + bound, proof: proof(bound), want: refusal{status: 200}},
		{name: "allowed: no token", mode: guard.DPoPAllowed, want: refusal{status: 401, schemes: "Bearer DPoP"}},
		{name: "allowed: bound token as bearer", mode: guard.DPoPAllowed, authorization: "Bearer " + bound,
			want: refusal{status: 401, schemes: "Bearer DPoP", on: "Bearer", code: "invalid_token"}},
		{name: "allowed: bound token as bearer with a proof", mode: guard.DPoPAllowed, authorization: "Bearer " + bound, proof: proof(bound),
			want: refusal{status: 401, schemes: "Bearer DPoP", on: "Bearer", code: "invalid_token"}},
		{name: "allowed: unbound token under DPoP", mode: guard.DPoPAllowed, authorization: "DPoP " + unbound, proof: proof(unbound),
			want: refusal{status: 401, schemes: "Bearer DPoP", on: "DPoP", code: "invalid_token"}},
		{name: "allowed: DPoP without a proof", mode: guard.DPoPAllowed, authorization: "DPoP " + bound,
			want: refusal{status: 401, schemes: "Bearer DPoP", on: "DPoP", code: "invalid_dpop_proof"}},
		{name: "allowed: DPoP without a token", mode: guard.DPoPAllowed, authorization: "DPoP", proof: proof(bound),
			want: refusal{status: 400, schemes: "Bearer DPoP", on: "DPoP", code: "invalid_request"}},
		{name: "allowed: malformed token under DPoP", mode: guard.DPoPAllowed, authorization: "DPoP not-a-token", proof: proof("not-a-token"),
			want: refusal{status: 401, schemes: "Bearer DPoP", on: "DPoP", code: "invalid_token"}},
		{name: "allowed: expired bound token", mode: guard.DPoPAllowed, authorization: "DPoP " + expiredToken, proof: proof(expiredToken),
			want: refusal{status: 401, schemes: "Bearer DPoP", on: "DPoP", code: "invalid_token"}},
		{name: "allowed: insufficient scope with a proof", handler: narrow.Middleware(narrow.RequireScopes("write:users")(whoami)),
			authorization: "DPoP " + bound, proof: proof(bound),
			want: refusal{status: 403, schemes: "DPoP", on: "DPoP", code: "insufficient_scope"}},
		{name: "allowed: insufficient scope as bearer", handler: narrow.Middleware(narrow.RequireScopes("write:users")(whoami)),
			authorization: "Bearer " + unbound,
			want:          refusal{status: 403, schemes: "Bearer", on: "Bearer", code: "insufficient_scope"}},
		{name: "required: bound token with proof", mode: guard.DPoPRequired, authorization: "DPoP " + bound, proof: proof(bound), want: refusal{status: 200}},
		{name: "required: bearer refused", mode: guard.DPoPRequired, authorization: "Bearer " + unbound,
			want: refusal{status: 401, schemes: "DPoP", on: "DPoP", code: "invalid_token"}},
		{name: "required: bound token as bearer", mode: guard.DPoPRequired, authorization: "Bearer " + bound, proof: proof(bound),
			want: refusal{status: 401, schemes: "DPoP", on: "DPoP", code: "invalid_token"}},
		{name: "required: no token", mode: guard.DPoPRequired, want: refusal{status: 401, schemes: "DPoP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = modes[tt.mode]
			}
			var proofs []string
			if tt.proof != "" {
				proofs = append(proofs, tt.proof)
			}
			w := send(h, http.MethodGet, "/users", tt.authorization, proofs...)
			if tt.want.status != http.StatusOK {
				checkRefusal(t, w, tt.want)
				return
			}
			thumbprint := ""
			if strings.HasPrefix(strings.ToLower(tt.authorization), "dpop") {
				thumbprint = s.JKT
			}
			if w.Code != http.StatusOK || w.Body.String() != "user-1 "+thumbprint {
				t.Fatalf("status %d, body %q; want 200 and thumbprint %q", w.Code, w.Body, thumbprint)
			}
		})
	}
}

// TestDPoPTargetFromConfiguration checks that htu is compared with the
// configured public URL and the request's path, whatever Host and
// X-Forwarded-* say, and that a path in PublicURL prefixes the request's.
func TestDPoPTargetFromConfiguration(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	token := iss.BoundToken("list:users", s.JKT)
	h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed}).Middleware(whoami)
	prefixed := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: "https://example.com/api/"}).Middleware(whoami)
	tests := []struct {
		name    string
		handler http.Handler
		htu     string
		host    string
		path    string
		want    int
	}{
		{name: "public URL", handler: h, htu: testAPI + "/users", path: "/users", want: 200},
		{name: "normalised", handler: h, htu: "HTTPS://API.example.com:8443/%75sers", path: "/users", want: 200},
		{name: "the Host header's", handler: h, htu: "https://evil.example/users", host: "evil.example", path: "/users", want: 401},
		{name: "X-Forwarded-Host's", handler: h, htu: "https://evil.example/users", path: "/users", want: 401},
		{name: "prefixed public URL", handler: prefixed, htu: "https://example.com/api/users", path: "/users", want: 200},
		{name: "prefix left out", handler: prefixed, htu: "https://example.com/users", path: "/users", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.host != "" {
				r.Host = tt.host
			}
			r.Header.Set("X-Forwarded-Host", "evil.example")
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("Authorization", "DPoP "+token)
			r.Header.Set("DPoP", s.Proof(dpoptest.Request{Method: http.MethodGet, URL: tt.htu, AccessToken: token}))
			w := httptest.NewRecorder()
			tt.handler.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
		})
	}
}

// TestDPoPUnsupportedBinding refuses tokens whose cnf the guard cannot
// check, under either scheme.
func TestDPoPUnsupportedBinding(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	h := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPAllowed}).Middleware(whoami)
	for _, tt := range []struct {
		name string
		cnf  any
	}{
		{"certificate thumbprint", map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}},
		{"jkt and certificate", map[string]any{"jkt": s.JKT, "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}},
		{"empty", map[string]any{}},
		{"jkt too short", map[string]any{"jkt": "abc"}},
		{"jkt a number", map[string]any{"jkt": 42}},
		{"not an object", "jkt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := iss.Claims("list:users")
			claims["cnf"] = tt.cnf
			token := iss.Sign(nil, claims)
			proof := s.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token})
			if w := send(h, http.MethodGet, "/users", "DPoP "+token, proof); w.Code != http.StatusUnauthorized {
				t.Errorf("under DPoP: status %d, want 401", w.Code)
			}
			if w := send(h, http.MethodGet, "/users", "Bearer "+token); w.Code != http.StatusUnauthorized {
				t.Errorf("as bearer: status %d, want 401", w.Code)
			}
		})
	}
}

// TestVerifyRefusesBoundToken: Verify has no request, so no proof.
func TestVerifyRefusesBoundToken(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL)
	if _, err := g.Verify(t.Context(), iss.BoundToken("list:users", dpoptest.NewSigner(t).JKT)); !errors.Is(err, guard.ErrTokenBound) {
		t.Fatalf("Verify: %v, want ErrTokenBound", err)
	}
}

// TestMiddlewareWithPanics: a mode that cannot work is a wiring mistake.
func TestMiddlewareWithPanics(t *testing.T) {
	iss := newIssuer(t)
	for _, tt := range []struct {
		name string
		g    *guard.Guard
		mode guard.DPoPMode
	}{
		{"allowed without a public URL", newGuard(t, iss.URL), guard.DPoPAllowed},
		{"required without a public URL", newGuard(t, iss.URL), guard.DPoPRequired},
		{"no such mode", dpopGuard(t, iss.URL, guard.DPoP{}), guard.DPoPMode(3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("MiddlewareWith did not panic")
				}
			}()
			tt.g.MiddlewareWith(tt.mode)
		})
	}
}

// TestMiddlewareWithMode: one guard, per-route modes, as the gateway
// uses it. The guard's own mode is off.
func TestMiddlewareWithMode(t *testing.T) {
	iss := newIssuer(t)
	s := dpoptest.NewSigner(t)
	g := dpopGuard(t, iss.URL, guard.DPoP{Mode: guard.DPoPOff})
	token := iss.BoundToken("list:users", s.JKT)
	proof := s.Proof(dpoptest.Request{Method: http.MethodGet, URL: testAPI + "/users", AccessToken: token})
	if w := send(g.Middleware(whoami), http.MethodGet, "/users", "DPoP "+token, proof); w.Code != http.StatusUnauthorized {
		t.Errorf("off: status %d, want 401", w.Code)
	}
	if w := send(g.MiddlewareWith(guard.DPoPRequired)(whoami), http.MethodGet, "/users", "DPoP "+token, proof); w.Code != http.StatusOK {
		t.Errorf("required: status %d, want 200; %s", w.Code, w.Body)
	}
}
