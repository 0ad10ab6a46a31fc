package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fakeOP is an OpenID Connect provider whose answers a test crafts: the
// faults a real provider would not make on request.
type fakeOP struct {
	*httptest.Server
	t   *testing.T
	key *ecdsa.PrivateKey
	// issParameter is advertised in discovery; tokenStatus, when not
	// zero, is the token endpoint's answer instead of a token; signer
	// replaces key; claims change the ID token's; userinfo is served.
	issParameter bool
	tokenStatus  int
	signer       *ecdsa.PrivateKey
	claims       func(map[string]any)
	userinfo     map[string]any
	// nonce and challenge are the sign-in's, set by the test from the
	// authorization URL.
	nonce, challenge string
}

const fakeClient, fakeSecret = "rp", "rp-secret-value"

func newFakeOP(t *testing.T) *fakeOP {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	op := &fakeOP{t: t, key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "op", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer upstream-access-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		writeJSON(w, op.userinfo)
	})
	op.Server = httptest.NewServer(mux)
	t.Cleanup(op.Close)
	return op
}

func (op *fakeOP) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize", "token_endpoint": op.URL + "/token",
		"userinfo_endpoint": op.URL + "/userinfo", "jwks_uri": op.URL + "/jwks",
		"id_token_signing_alg_values_supported":          []string{"ES256"},
		"authorization_response_iss_parameter_supported": op.issParameter,
	})
}

// token checks the code exchange as a provider would (client secret, code,
// PKCE) and answers with an ID token of the test's making.
func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	if op.tokenStatus != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(op.tokenStatus)
		w.Write([]byte(`{"error":"server_error"}`))
		return
	}
	id, secret, _ := r.BasicAuth()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if id != fakeClient || secret != fakeSecret || r.PostFormValue("code") != "the-code" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != op.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": op.URL, "aud": fakeClient, "sub": "upstream-sub", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"nonce": op.nonce, "email": "ann@example.com", "email_verified": true, "name": "Ann",
		"preferred_username": "ann", "groups": []string{"staff"}, "acr": "urn:mace:incommon:iap:silver", "amr": []string{"pwd", "otp"},
	}
	if op.claims != nil {
		op.claims(claims)
	}
	writeJSON(w, map[string]any{"access_token": "upstream-access-token", "token_type": "Bearer", "id_token": op.sign(claims)})
}

func (op *fakeOP) sign(claims map[string]any) string {
	key := op.key
	if op.signer != nil {
		key = op.signer
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "op"}}, nil)
	if err != nil {
		op.t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(maps.Clone(claims)).Serialize()
	if err != nil {
		op.t.Fatal(err)
	}
	return raw
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
