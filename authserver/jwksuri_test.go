package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// TestJWKSURIAddresses: a client's jwks_uri is not fetched from loopback
// (by address or by name) without allow_private_jwks_uri, and a redirect
// to another host, here 127.0.0.1 on another port, is refused even with
// it; a redirect within the host is followed.
func TestJWKSURIAddresses(t *testing.T) {
	key := newClientKey(t, "k1")
	keySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/jwks", http.StatusFound)
			return
		}
		w.Write(key.jwks(t))
	}))
	defer keySrv.Close()
	redirector := httptest.NewServer(http.RedirectHandler(keySrv.URL+"/jwks", http.StatusFound))
	defer redirector.Close()
	u, _ := url.Parse(keySrv.URL)
	byName := "http://localhost:" + u.Port() + "/jwks"

	uris := map[string]string{"direct": keySrv.URL + "/jwks", "by-name": byName, "elsewhere": redirector.URL, "same-host": keySrv.URL + "/old"}
	server := func(allow bool) *authservertest.Server {
		return authservertest.New(t, func(c *authserver.Config) {
			c.AllowPrivateJWKSURI = allow
			for id, uri := range uris {
				c.Clients = append(c.Clients, store.Client{ID: id, AuthMethod: store.AuthPrivateKey, JWKSURI: uri,
					GrantTypes: []string{"client_credentials"}, Scopes: []string{"list:users"}})
			}
		})
	}
	strict, lax := server(false), server(true)
	tests := []struct {
		name   string
		as     *authservertest.Server
		client string
		want   int
	}{
		{"loopback address without the opt-in", strict, "direct", http.StatusUnauthorized},
		{"name resolving to loopback without the opt-in", strict, "by-name", http.StatusUnauthorized},
		{"redirect within the host without the opt-in", strict, "same-host", http.StatusUnauthorized},
		{"redirect to 127.0.0.1 on another host", lax, "elsewhere", http.StatusUnauthorized},
		{"redirect to 127.0.0.1 on another host without the opt-in", strict, "elsewhere", http.StatusUnauthorized},
		{"loopback address with the opt-in", lax, "direct", http.StatusOK},
		{"redirect within the host with the opt-in", lax, "same-host", http.StatusOK},
	}
	for _, tt := range tests {
		if status, body := postForm(t, tt.as.URL+"/token", assertionForm(key.assertion(t, tt.client, tt.as.URL, nil))); status != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, status, body, tt.want)
		}
	}
}
