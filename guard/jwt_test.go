package guard_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestVerifyJWT runs the attacks of RFC 8725 and the claim checks of
// RFC 9068 section 4 against Verify.
func TestVerifyJWT(t *testing.T) {
	iss := newIssuer(t)
	var logs logBuffer
	g := newGuard(t, iss.URL, logTo(&logs), func(o *guard.Options) {
		// RS256 and ES384 are allowed so that a token can name them with a
		// P-256 key: the key type check, not the allow-list, must stop it.
		o.Algorithms = []string{"ES256", "ES384", "RS256"}
	})
	kid, key := iss.SigningKey()
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var attackerHits atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attackerHits.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &other.PublicKey, KeyID: "evil", Algorithm: "ES256", Use: "sig"}}})
	}))
	defer attacker.Close()

	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	otherJWK, err := json.Marshal(jose.JSONWebKey{Key: &other.PublicKey, KeyID: "evil", Algorithm: "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	var embedded map[string]any
	if err := json.Unmarshal(otherJWK, &embedded); err != nil {
		t.Fatal(err)
	}

	header := func(kv ...any) map[string]any {
		h := map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i].(string)] = kv[i+1]
		}
		return h
	}
	claims := func(kv ...any) map[string]any {
		c := iss.Claims("list:users")
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	signedBy := func(k *ecdsa.PrivateKey) func([]byte) []byte {
		return func(input []byte) []byte { return guardtest.SignES256(k, input) }
	}
	hs256 := func(secret []byte) func([]byte) []byte {
		return func(input []byte) []byte {
			m := hmac.New(sha256.New, secret)
			m.Write(input)
			return m.Sum(nil)
		}
	}
	junk := func(n int) func([]byte) []byte {
		return func([]byte) []byte { return make([]byte, n) }
	}
	// notUTF8 is a genuinely signed token whose sub holds a byte that is
	// not UTF-8, which encoding/json would read as U+FFFD.
	notUTF8 := func(bad string) string {
		h, _ := json.Marshal(header())
		c, _ := json.Marshal(claims())
		c = []byte(strings.Replace(string(c), `"sub":"user-1"`, `"sub":"user-1`+bad+`"`, 1))
		input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
		return input + "." + base64.RawURLEncoding.EncodeToString(guardtest.SignES256(key, []byte(input)))
	}
	now := time.Now()
	valid := iss.Token("list:users")
	validParts := strings.Split(valid, ".")
	tampered := guardtest.Forge(header(), claims("scope", "list:users admin"), junk(0))
	tampered = tampered[:strings.LastIndex(tampered, ".")+1] + validParts[2]

	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{name: "valid", token: valid},
		{name: "typ with application prefix and capitals", token: iss.Sign(map[string]any{"typ": "application/AT+JWT"}, claims())},
		{name: "audience array containing ours", token: iss.Sign(nil, claims("aud", []string{"https://other.example.com", guardtest.Audience}))},
		{name: "fractional dates", token: iss.Sign(nil, claims("exp", float64(now.Add(time.Hour).Unix())+0.5))},

		{name: "alg none", token: guardtest.Forge(header("alg", "none"), claims(), junk(0)), wantErr: guard.ErrAlgorithm},
		{name: "alg NONE", token: guardtest.Forge(header("alg", "NONE"), claims(), junk(0)), wantErr: guard.ErrAlgorithm},
		{name: "HS256 keyed with the public key PEM", token: guardtest.Forge(header("alg", "HS256"), claims(), hs256(publicPEM)), wantErr: guard.ErrAlgorithm},
		{name: "HS256 keyed with the public key DER", token: guardtest.Forge(header("alg", "HS256"), claims(), hs256(der)), wantErr: guard.ErrAlgorithm},
		{name: "RS256 under an EC key", token: guardtest.Forge(header("alg", "RS256"), claims(), junk(256)), wantErr: guard.ErrAlgorithm},
		{name: "ES384 under a P-256 key", token: guardtest.Forge(header("alg", "ES384"), claims(), junk(96)), wantErr: guard.ErrAlgorithm},
		{name: "signed by another key under a known kid", token: guardtest.Forge(header(), claims(), signedBy(other)), wantErr: guard.ErrSignature},
		{name: "claims changed after signing", token: tampered, wantErr: guard.ErrSignature},
		{name: "empty signature", token: guardtest.Forge(header(), claims(), junk(0)), wantErr: guard.ErrSignature},
		{name: "unknown kid", token: guardtest.Forge(header("kid", "nope"), claims(), signedBy(other)), wantErr: guard.ErrUnknownKey},
		{name: "no kid", token: iss.Sign(map[string]any{"kid": nil}, claims()), wantErr: guard.ErrUnknownKey},
		{name: "embedded jwk of the signer", token: guardtest.Forge(header("kid", "evil", "jwk", embedded), claims(), signedBy(other)), wantErr: guard.ErrUnknownKey},
		{name: "embedded jwk under a known kid", token: guardtest.Forge(header("jwk", embedded), claims(), signedBy(other)), wantErr: guard.ErrSignature},
		{name: "jku to the attacker", token: guardtest.Forge(header("kid", "evil", "jku", attacker.URL), claims(), signedBy(other)), wantErr: guard.ErrUnknownKey},
		{name: "x5u to the attacker", token: guardtest.Forge(header("kid", "evil", "x5u", attacker.URL), claims(), signedBy(other)), wantErr: guard.ErrUnknownKey},
		{name: "typ JWT", token: iss.Sign(map[string]any{"typ": "JWT"}, claims()), wantErr: guard.ErrTokenType},
		{name: "no typ", token: iss.Sign(map[string]any{"typ": nil}, claims()), wantErr: guard.ErrTokenType},
		{name: "crit header", token: iss.Sign(map[string]any{"crit": []string{"exp"}}, claims()), wantErr: guard.ErrMalformedToken},
		{name: "b64 header", token: iss.Sign(map[string]any{"b64": false}, claims()), wantErr: guard.ErrMalformedToken},

		{name: "expired", token: iss.Sign(nil, claims("exp", now.Add(-time.Minute).Unix())), wantErr: guard.ErrExpired},
		{name: "not before in the future", token: iss.Sign(nil, claims("nbf", now.Add(time.Hour).Unix())), wantErr: guard.ErrNotYetValid},
		{name: "issued in the future", token: iss.Sign(nil, claims("iat", now.Add(time.Hour).Unix())), wantErr: guard.ErrNotYetValid},
		{name: "wrong audience", token: iss.Sign(nil, claims("aud", "https://other.example.com")), wantErr: guard.ErrAudience},
		{name: "audience array without ours", token: iss.Sign(nil, claims("aud", []string{"https://other.example.com"})), wantErr: guard.ErrAudience},
		{name: "no audience", token: iss.Sign(nil, claims("aud", nil)), wantErr: guard.ErrAudience},
		{name: "wrong issuer", token: iss.Sign(nil, claims("iss", "https://evil.example.com")), wantErr: guard.ErrIssuer},
		{name: "no exp", token: iss.Sign(nil, claims("exp", nil)), wantErr: guard.ErrMissingClaim},
		{name: "no iat", token: iss.Sign(nil, claims("iat", nil)), wantErr: guard.ErrMissingClaim},
		{name: "no sub", token: iss.Sign(nil, claims("sub", nil)), wantErr: guard.ErrMissingClaim},
		{name: "no client_id", token: iss.Sign(nil, claims("client_id", nil)), wantErr: guard.ErrMissingClaim},
		{name: "no jti", token: iss.Sign(nil, claims("jti", nil)), wantErr: guard.ErrMissingClaim},
		{name: "no iss", token: iss.Sign(nil, claims("iss", nil)), wantErr: guard.ErrMissingClaim},
		{name: "exp a string", token: iss.Sign(nil, claims("exp", "tomorrow")), wantErr: guard.ErrMalformedToken},
		{name: "aud a number", token: iss.Sign(nil, claims("aud", 7)), wantErr: guard.ErrMalformedToken},
		{name: "payload with a byte that is not UTF-8", token: notUTF8("\xff"), wantErr: guard.ErrMalformedToken},
		{name: "payload with a UTF-8 surrogate half", token: notUTF8("\xed\xa0\x80"), wantErr: guard.ErrMalformedToken},

		{name: "three parts of nothing", token: "a.b.c", wantErr: guard.ErrMalformedToken},
		{name: "two dots only", token: "..", wantErr: guard.ErrMalformedToken},
		{name: "not token68", token: "a b.c", wantErr: guard.ErrMalformedToken},
		{name: "opaque without introspection", token: "c2VjcmV0", wantErr: guard.ErrMalformedToken},
		{name: "JSON serialization", token: `{"payload":"x"}`, wantErr: guard.ErrMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := g.Verify(t.Context(), tt.token)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				if c.Subject() != "user-1" || c.ClientID() != "client-1" || !c.HasScope("list:users") {
					t.Errorf("caller = %q %q %q", c.Subject(), c.ClientID(), c.Scopes())
				}
				return
			}
			var e *guard.Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Code != guard.CodeInvalidToken {
				t.Errorf("error %#v, want a 401 invalid_token *guard.Error", err)
			}
			// The description goes to the client: the reason only, no
			// detail from the token or the issuer.
			if strings.ContainsAny(e.Description, `"/\\`) {
				t.Errorf("error_description %q carries detail", e.Description)
			}
			// A refused token must not be cached as valid.
			if _, err := g.Verify(t.Context(), tt.token); !errors.Is(err, tt.wantErr) {
				t.Errorf("second Verify: %v, want %v", err, tt.wantErr)
			}
		})
	}
	if n := attackerHits.Load(); n != 0 {
		t.Errorf("the attacker's key server got %d requests", n)
	}
	out := logs.String()
	for _, tt := range tests {
		if parts := strings.Split(tt.token, "."); len(parts) == 3 && len(parts[2]) > 8 && strings.Contains(out, parts[2]) {
			t.Errorf("log contains the signature of token %q", tt.name)
		}
	}
}

// TestAlgorithmsFromDiscovery checks that the guard takes its algorithms
// from the issuer, keeping only the asymmetric ones: the fake issuer
// advertises ES256 and HS256.
func TestAlgorithmsFromDiscovery(t *testing.T) {
	g := newGuard(t, newIssuer(t).URL)
	if got := g.Algorithms(); len(got) != 1 || got[0] != "ES256" {
		t.Errorf("Algorithms() = %q, want [ES256]", got)
	}
}

func TestLeeway(t *testing.T) {
	iss := newIssuer(t)
	clock := newClock()
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.Leeway = time.Minute; o.Clock = clock.Now })
	c := iss.Claims("list:users")
	c["exp"] = clock.Now().Add(-30 * time.Second).Unix()
	c["iat"] = clock.Now().Add(30 * time.Second).Unix()
	token := iss.Sign(nil, c)
	if _, err := g.Verify(t.Context(), token); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	clock.Advance(time.Minute)
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrExpired) {
		t.Fatalf("past leeway: %v, want ErrExpired", err)
	}
}

// TestCachedTokenExpires checks that the verified-token cache does not
// outlive exp.
func TestCachedTokenExpires(t *testing.T) {
	iss := newIssuer(t)
	clock := newClock()
	g := newGuard(t, iss.URL, func(o *guard.Options) { o.Clock = clock.Now })
	c := iss.Claims("list:users")
	c["exp"] = clock.Now().Add(time.Minute).Unix()
	token := iss.Sign(nil, c)
	for range 2 {
		if _, err := g.Verify(t.Context(), token); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	if _, err := g.Verify(t.Context(), token); !errors.Is(err, guard.ErrExpired) {
		t.Fatalf("after exp: %v, want ErrExpired", err)
	}
}

func TestCallerClaims(t *testing.T) {
	iss := newIssuer(t)
	g := newGuard(t, iss.URL)
	c := iss.Claims("read:users list:users")
	c["tenant"] = "acme"
	caller, err := g.Verify(t.Context(), iss.Sign(nil, c))
	if err != nil {
		t.Fatal(err)
	}
	var extra struct {
		Tenant string `json:"tenant"`
	}
	if err := caller.Claims(&extra); err != nil || extra.Tenant != "acme" {
		t.Errorf("Claims: %+v, %v", extra, err)
	}
	if got := caller.Scopes(); len(got) != 2 || got[0] != "read:users" {
		t.Errorf("Scopes() = %q", got)
	}
	caller.Scopes()[0] = "admin"
	if caller.HasScope("admin") {
		t.Error("changing the slice Scopes returned changed the caller")
	}
	if caller.TokenID() != c["jti"] || caller.Issuer() != iss.URL || caller.Audience()[0] != guardtest.Audience {
		t.Errorf("caller %q %q %q", caller.TokenID(), caller.Issuer(), caller.Audience())
	}
	if caller.ExpiresAt().Unix() != c["exp"] || caller.IssuedAt().Unix() != c["iat"] {
		t.Errorf("times %v %v", caller.ExpiresAt(), caller.IssuedAt())
	}
}
