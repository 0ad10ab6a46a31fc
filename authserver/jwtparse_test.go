package authserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// TestJWTPayloadNotUTF8: a JWT whose payload is not valid UTF-8 is refused,
// not read with the bad bytes replaced by U+FFFD, whether it is an access
// token at introspection or a client assertion; the same token with valid
// text is accepted.
func TestJWTPayloadNotUTF8(t *testing.T) {
	key := newClientKey(t, "k1")
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Clients = append(c.Clients, store.Client{ID: "signer", AuthMethod: store.AuthPrivateKey, JWKS: key.jwks(t),
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}})
	})
	tokenURL := as.URL + "/token"
	now := time.Now().Unix()
	accessToken := func(sub string) string {
		payload := fmt.Sprintf(`{"iss":%q,"sub":"%s","client_id":%q,"aud":%q,"scope":"list:users","iat":%d,"exp":%d,"jti":"j-%d"}`,
			as.URL, sub, as.ClientID, authservertest.API, now, now+300, now)
		tok, err := as.Keys.Sign("ES256", "at+jwt", []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	assertion := func(jti string) string {
		payload := fmt.Sprintf(`{"iss":"signer","sub":"signer","aud":%q,"iat":%d,"exp":%d,"jti":"%s"}`, as.URL, now, now+60, jti)
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key.priv, KeyID: key.kid}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := sig.Sign([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
	introspect := func(tok string) int {
		status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {tok}}, basic(as.ClientID, as.ClientSecret))
		if status != http.StatusOK {
			t.Fatalf("introspect: %d %v", status, body)
		}
		if body["active"] == true {
			return http.StatusOK
		}
		return http.StatusUnauthorized
	}
	token := func(a string) int {
		status, _ := postForm(t, tokenURL, assertionForm(a))
		return status
	}
	tests := []struct {
		name string
		call func(string) int
		jwt  string
		want int
	}{
		{"access token with a bad byte in sub", introspect, accessToken("test-client\xff"), http.StatusUnauthorized},
		{"access token with a lone surrogate half", introspect, accessToken("test-client\xed\xa0\x80"), http.StatusUnauthorized},
		{"access token with valid text", introspect, accessToken("test-client-é"), http.StatusOK},
		{"assertion with a bad byte in jti", token, assertion("jti-1\xff"), http.StatusUnauthorized},
		{"assertion with valid text", token, assertion("jti-2-é"), http.StatusOK},
	}
	for _, tt := range tests {
		if got := tt.call(tt.jwt); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
