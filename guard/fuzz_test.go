package guard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard/guardtest"
	"github.com/portcullis/portcullis/internal/authscheme"
)

// FuzzCredentials feeds arbitrary Authorization headers to the parser.
func FuzzCredentials(f *testing.F) {
	for _, seed := range []string{
		"Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
		"bearer abc==", "Bearer", "Bearer ", "Bearer  a b", "Basic dXNlcjpwYXNz",
		"", "Bearer\tabc", "Bearer a=b", "Bearer é", "Bearer ===", "DPoP abc", "dPoP", "DPoP\tx",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		s, token, err := credentials(http.Header{"Authorization": {value}})
		switch {
		case err == nil && (token == "" || !strings.HasSuffix(value, token) || s == authscheme.None):
			t.Fatalf("credentials(%q) = %d, %q", value, s, token)
		case err != nil && !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrMalformedRequest):
			t.Fatalf("credentials(%q): unexpected error %v", value, err)
		}
		if validToken68(token) && strings.ContainsAny(token, " \t\",\\") {
			t.Fatalf("validToken68 accepted %q", token)
		}
	})
}

// FuzzVerify feeds arbitrary tokens to Verify. Nothing the fuzzer makes can
// carry a valid signature, so any token accepted must carry the claims of
// the seed it was mutated from.
func FuzzVerify(f *testing.F) {
	iss := guardtest.NewIssuer()
	defer iss.Close()
	g, err := New(context.Background(), Options{
		Issuer: iss.URL, Audience: guardtest.Audience, Logger: slog.New(slog.DiscardHandler),
		// Keep unknown kids from reaching the issuer during fuzzing.
		KeyRefreshMin: time.Hour,
	})
	if err != nil {
		f.Fatal(err)
	}
	defer g.Close()
	kid, _ := iss.SigningKey()
	claims := iss.Claims("list:users")
	none := func([]byte) []byte { return nil }
	for _, seed := range []string{
		iss.Token("list:users"),
		iss.Sign(map[string]any{"typ": "JWT"}, claims),
		iss.Sign(map[string]any{"crit": []string{"b64"}, "b64": false}, claims),
		guardtest.Forge(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}, claims, none),
		guardtest.Forge(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims, func([]byte) []byte { return make([]byte, 32) }),
		guardtest.Forge(map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid, "jwk": map[string]any{"kty": "EC"}}, claims, none),
		"a.b.c", "..", "e30.e30.", "eyJhbGciOiJFUzI1NiJ9..", "opaque", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := g.Verify(context.Background(), token)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
				t.Fatalf("Verify error %v is not a 401 *Error", err)
			}
			return
		}
		if c.Subject() != "user-1" || c.Issuer() != iss.URL {
			t.Fatalf("accepted a token for %q from %q", c.Subject(), c.Issuer())
		}
	})
}

// FuzzParseKey feeds arbitrary JWKs, as a hostile or broken issuer could
// publish, to the key parser: it must never accept a key that cannot
// verify an asymmetric signature.
func FuzzParseKey(f *testing.F) {
	for _, seed := range []string{
		`{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`,
		`{"kty":"oct","k":"c2VjcmV0","kid":"hmac"}`,
		`{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
		`{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}`,
		`{"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`,
		`{}`, `null`, `[]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		kid, k, err := parseKey([]byte(raw))
		if err != nil {
			return
		}
		if kid == "" || k.key == nil {
			t.Fatalf("parseKey(%s) accepted kid %q key %T", raw, kid, k.key)
		}
	})
}

// FuzzRefreshInterval feeds arbitrary Cache-Control headers: the interval
// must stay within its bounds.
func FuzzRefreshInterval(f *testing.F) {
	for _, seed := range []string{"public, max-age=300", "no-store", "max-age=99999999999999999999", `max-age="1"`, "max-age=-1", ",,,="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cacheControl string) {
		if d := refreshInterval(cacheControl, time.Second, time.Hour); d < time.Second || d > time.Hour {
			t.Fatalf("refreshInterval(%q) = %v", cacheControl, d)
		}
	})
}
