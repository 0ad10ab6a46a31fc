package dpop_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/dpop"
)

// bindingServer is an authorization server and an API that both require
// proofs with their own nonces, as RFC 9449 sections 8 and 9 describe. Its
// tokens name the key they are bound to: "at-" and the key's thumbprint,
// standing for a JWT's cnf.jkt.
type bindingServer struct {
	*httptest.Server
	tokens, calls atomic.Int32
}

func newBindingServer(t *testing.T) *bindingServer {
	t.Helper()
	verifier := func(key byte) *dpop.Verifier {
		n, err := dpop.NewNonces([]byte(strings.Repeat(string(key), 32)), 0)
		if err != nil {
			t.Fatal(err)
		}
		v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil), Nonces: n})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	as, rs := verifier('a'), verifier('r')
	s := &bindingServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		s.tokens.Add(1)
		w.Header().Set(dpop.NonceHeader, as.Nonce())
		w.Header().Set("Content-Type", "application/json")
		if id, secret, _ := r.BasicAuth(); id != "svc" || secret != "s3cret" || r.PostFormValue("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		p, err := as.Verify(r.Context(), r.Header, dpop.Request{Method: r.Method, URL: s.URL + "/token"})
		var e *dpop.Error
		if errors.As(err, &e) {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": e.Code})
			return
		} else if err != nil {
			t.Error(err)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + p.JKT, "token_type": "DPoP", "expires_in": 300})
	})
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		w.Header().Set(dpop.NonceHeader, rs.Nonce())
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `DPoP algs="ES256"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, err := rs.Verify(r.Context(), r.Header, dpop.Request{Method: r.Method, URL: s.URL + "/users", AccessToken: token, JKT: strings.TrimPrefix(token, "at-")})
		var e *dpop.Error
		if errors.As(err, &e) {
			w.Header().Set("WWW-Authenticate", `DPoP error="`+e.Code+`", algs="ES256"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "users")
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// x/oauth2 flows get bound tokens and call APIs with proofs through
// HTTPClient and NewClient, each answering both servers' nonce demands.
func TestClientCredentials(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client func(ctx context.Context, key *dpop.Key, cfg *clientcredentials.Config) *http.Client
	}{
		{"cfg.Client with HTTPClient in the context", func(ctx context.Context, _ *dpop.Key, cfg *clientcredentials.Config) *http.Client {
			return cfg.Client(ctx)
		}},
		{"NewClient", func(ctx context.Context, key *dpop.Key, cfg *clientcredentials.Config) *http.Client {
			return dpop.NewClient(key, cfg.TokenSource(ctx), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newBindingServer(t)
			key, err := dpop.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			cfg := &clientcredentials.Config{ClientID: "svc", ClientSecret: "s3cret", TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, dpop.HTTPClient(key, nil))
			client := tc.client(ctx, key, cfg)
			for i := range 3 {
				resp, err := client.Get(srv.URL + "/users")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(body) != "users" {
					t.Fatalf("call %d: %d %s (%s)", i, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
				}
			}
			// One token, fetched once more for the nonce; the first call
			// once more for the API's nonce, the others at once.
			if tokens, calls := srv.tokens.Load(), srv.calls.Load(); tokens != 2 || calls != 4 {
				t.Errorf("%d token requests, %d API requests; want 2 and 4", tokens, calls)
			}
			tok, err := cfg.TokenSource(ctx).Token()
			if err != nil {
				t.Fatal(err)
			}
			if tok.Type() != "DPoP" || tok.AccessToken != "at-"+key.Thumbprint() {
				t.Errorf("token %s %s, want DPoP bound to %s", tok.Type(), tok.AccessToken, key.Thumbprint())
			}
		})
	}
}
