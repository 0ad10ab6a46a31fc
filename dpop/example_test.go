package dpop_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/portcullis/portcullis/dpop"
)

// A service calls an API with tokens bound to its key (RFC 9449): with
// dpop.HTTPClient in the context, clientcredentials sends a proof with each
// token request, the authorization server answers token_type DPoP with
// cnf.jkt set to the key's thumbprint, and the client of cfg.Client sends
// "Authorization: DPoP" with a proof that carries the token's hash.
//
// The authorization server here is Portcullis itself, run in this process;
// in production TokenURL is its /token. A Go API checks the proofs with the
// guard (package guard); this one checks them with a dpop.Verifier, to show
// what arrives.
func Example() {
	as, stop := startIssuer()
	defer stop()

	key, err := dpop.GenerateKey() // keep it for as long as its tokens live
	if err != nil {
		log.Fatal(err)
	}
	cfg := clientcredentials.Config{
		ClientID:     as.ClientID,
		ClientSecret: as.ClientSecret,
		TokenURL:     as.URL + "/token",
		Scopes:       []string{"list:users"},
		// One proof-carrying request, without the auth style probe.
		AuthStyle: oauth2.AuthStyleInHeader,
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, dpop.HTTPClient(key, nil))
	client := cfg.Client(ctx)

	api := exampleAPI(key)
	defer api.Close()
	resp, err := client.Get(api.URL + "/users")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: DPoP token, proof with its hash by the client's key: true
}

// exampleAPI answers with the scheme of the request's token and whether
// its proof is one of key's for this request, with the token's hash.
func exampleAPI(key *dpop.Key) *httptest.Server {
	v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)})
	if err != nil {
		log.Fatal(err)
	}
	var api *httptest.Server
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		_, err := v.Verify(r.Context(), r.Header, dpop.Request{
			Method: r.Method, URL: api.URL + r.URL.Path, AccessToken: token, JKT: key.Thumbprint(),
		})
		fmt.Fprintf(w, "%s token, proof with its hash by the client's key: %v", scheme, err == nil)
	}))
	return api
}
