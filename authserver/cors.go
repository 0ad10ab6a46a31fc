package authserver

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// CORS (the Fetch standard's cross-origin resource sharing) lets browser
// apps use the endpoints made for them. Discovery and the JWKS are public
// documents, readable from any origin. The token, revocation and userinfo
// endpoints answer the origins of the clients' redirect URIs, the file's
// and the stored (kept in the catalog, reloaded on every change): a
// single-page app exchanges its code and refreshes from its own origin.
// No endpoint allows credentials (cookies): none needs them cross-origin.

// corsPublic are the paths any origin may read.
var corsPublic = map[string]bool{
	"/.well-known/openid-configuration":       true,
	"/.well-known/oauth-authorization-server": true,
	"/jwks": true,
}

// corsClient are the paths the clients' own origins may call.
var corsClient = map[string]bool{"/token": true, "/revoke": true, "/userinfo": true}

// clientOrigins returns the origins of the redirect URIs of the file's
// clients and of stored, leaving out a stored client that a file client
// with its ID overrides.
func (s *Server) clientOrigins(stored []store.Client) map[string]bool {
	out := map[string]bool{}
	add := func(c store.Client) {
		for _, ru := range c.RedirectURIs {
			if u, err := url.Parse(ru); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
				out[u.Scheme+"://"+u.Host] = true
			}
		}
	}
	for _, c := range s.cfg.Clients {
		add(c)
	}
	for _, c := range stored {
		if _, file := s.clients[c.ID]; !file {
			add(c)
		}
	}
	return out
}

// cors answers preflights and adds CORS headers to allowed requests.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allow := ""
		switch {
		case origin == "":
		case corsPublic[r.URL.Path]:
			allow = "*"
		case corsClient[r.URL.Path] && s.catalog().origins[origin]:
			allow = origin
		}
		if allow == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", allow)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			methods := "POST"
			if corsPublic[r.URL.Path] || r.URL.Path == "/userinfo" {
				methods = "GET, POST"
			}
			h.Set("Access-Control-Allow-Methods", methods)
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		// DPoP-Nonce: browser clients need the nonce to retry (RFC 9449
		// section 8); the rate limit headers say when to.
		h.Set("Access-Control-Expose-Headers", strings.Join([]string{"WWW-Authenticate", usage.ExposedHeaders, dpop.NonceHeader}, ", "))
		next.ServeHTTP(w, r)
	})
}
