package dpop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/dpop"
)

// decoded is a proof's header and claims as a verifier sees them.
type decoded struct {
	typ, alg string
	jwk      *jose.JSONWebKey
	claims   map[string]any
}

func decode(t *testing.T, proof string) decoded {
	t.Helper()
	jws, err := jose.ParseSignedCompact(proof, dpop.Algorithms)
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Protected
	d := decoded{alg: h.Algorithm, jwk: h.JSONWebKey}
	d.typ, _ = h.ExtraHeaders["typ"].(string)
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &d.claims); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestKeyProof(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key.Clock = func() time.Time { return now }
	nonces, err := dpop.NewNonces(make([]byte, dpop.MinNonceKeySize), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, target, token string
		// nonce makes the proof carry the server's current nonce, and the
		// verifier require it.
		nonce bool
		// htu is the proof's htu; the verifier is given it as its URL.
		htu string
	}{
		{name: "token request", method: "POST", target: "https://as.example/token", htu: "https://as.example/token"},
		{name: "query and fragment left out", method: "GET", target: "https://api.example/v1/things?page=2&q=a#top", htu: "https://api.example/v1/things"},
		{name: "user information left out", method: "GET", target: "https://user:pw@api.example/v1", htu: "https://api.example/v1"},
		{name: "port and escaped path kept", method: "DELETE", target: "https://api.example:8443/a%2Fb/c", htu: "https://api.example:8443/a%2Fb/c"},
		{name: "plain http on loopback", method: "POST", target: "http://127.0.0.1:8080/token", htu: "http://127.0.0.1:8080/token"},
		{name: "IPv6 host", method: "GET", target: "https://[::1]:8443/x?y", htu: "https://[::1]:8443/x"},
		{name: "access token hashed into ath", method: "GET", target: "https://api.example/users", token: "eyJ.token.sig", htu: "https://api.example/users"},
		{name: "server nonce", method: "POST", target: "https://as.example/token", nonce: true, htu: "https://as.example/token"},
		{name: "token and nonce", method: "PATCH", target: "https://api.example/users/1?x", token: "tok", nonce: true, htu: "https://api.example/users/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var nonce string
			var v *dpop.Verifier
			if tc.nonce {
				nonce, v = nonces.Issue(now), newVerifier(t, nonces, now)
			} else {
				v = newVerifier(t, nil, now)
			}
			proof, err := key.Proof(tc.method, tc.target, tc.token, nonce)
			if err != nil {
				t.Fatal(err)
			}
			d := decode(t, proof)
			if d.typ != dpop.ProofType || d.alg != "ES256" {
				t.Errorf("typ %q alg %q, want %s ES256", d.typ, d.alg, dpop.ProofType)
			}
			if d.jwk == nil || !d.jwk.IsPublic() {
				t.Fatalf("jwk %+v is not a public key", d.jwk)
			}
			if jkt, _ := dpop.Thumbprint(d.jwk); jkt != key.Thumbprint() {
				t.Errorf("jwk thumbprint %s, key's %s", jkt, key.Thumbprint())
			}
			want := map[string]any{"htm": tc.method, "htu": tc.htu, "iat": float64(now.Unix())}
			if tc.token != "" {
				want["ath"] = dpop.TokenHash(tc.token)
			}
			if tc.nonce {
				want["nonce"] = nonce
			}
			jti, _ := d.claims["jti"].(string)
			if len(jti) < 22 {
				t.Errorf("jti %q: want at least 128 random bits", jti)
			}
			delete(d.claims, "jti")
			if got, _ := json.Marshal(d.claims); string(got) != mustJSON(t, want) {
				t.Errorf("claims %s, want %s", got, mustJSON(t, want))
			}
			req := dpop.Request{Method: tc.method, URL: tc.htu, AccessToken: tc.token}
			if tc.token != "" {
				req.JKT = key.Thumbprint()
			}
			if _, err := v.Verify(context.Background(), header(proof), req); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKeyProofsAreUnique(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[any]bool{}
	for range 100 {
		p, err := key.Proof("GET", "https://api.example/", "", "")
		if err != nil {
			t.Fatal(err)
		}
		jti := decode(t, p).claims["jti"]
		if seen[jti] {
			t.Fatalf("jti %v made twice", jti)
		}
		seen[jti] = true
	}
}

func TestKeyProofRefusesBadTargets(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, method, target string }{
		{"relative", "GET", "/users"},
		{"no host", "GET", "https:///users"},
		{"another scheme", "GET", "ftp://files.example/x"},
		{"opaque", "GET", "mailto:a@example.com"},
		{"unparsable", "GET", "https://api.example/%zz"},
		{"no method", "", "https://api.example/users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := key.Proof(tc.method, tc.target, "", ""); err == nil {
				t.Fatalf("made a proof: %s", p)
			}
		})
	}
}

func TestNewKey(t *testing.T) {
	ec := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p256 := ec(elliptic.P256())
	for _, tc := range []struct {
		name string
		priv crypto.Signer
		alg  jose.SignatureAlgorithm
		ok   bool
	}{
		{"P-256 ES256", p256, jose.ES256, true},
		{"P-384 ES384", ec(elliptic.P384()), jose.ES384, true},
		{"P-521 ES512", ec(elliptic.P521()), jose.ES512, true},
		{"Ed25519 EdDSA", ed, jose.EdDSA, true},
		{"RSA PS256", rsa2048, jose.PS256, true},
		{"RSA RS256", rsa2048, jose.RS256, true},
		{"P-256 under ES384", p256, jose.ES384, false},
		{"P-256 under RS256", p256, jose.RS256, false},
		{"Ed25519 under ES256", ed, jose.ES256, false},
		{"RSA under EdDSA", rsa2048, jose.EdDSA, false},
		{"P-256 under HS256", p256, jose.HS256, false},
		{"RSA under 2048 bits", rsa1024, jose.RS256, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := dpop.NewKey(tc.priv, tc.alg)
			if !tc.ok {
				if err == nil {
					t.Fatal("made a key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.Algorithm() != string(tc.alg) {
				t.Errorf("Algorithm %s", key.Algorithm())
			}
			proof, err := key.Proof("POST", "https://as.example/token", "", "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := newVerifier(t, nil, time.Now()).Verify(context.Background(), header(proof), dpop.Request{Method: "POST", URL: "https://as.example/token"})
			if err != nil {
				t.Fatal(err)
			}
			if p.JKT != key.Thumbprint() {
				t.Errorf("verified jkt %s, key's %s", p.JKT, key.Thumbprint())
			}
		})
	}
}
