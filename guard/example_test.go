package guard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// A users API whose routes need different scopes. guardtest stands in for
// Portcullis; in production Issuer is the Portcullis URL.
func Example() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()

	g, err := guard.New(context.Background(), guard.Options{
		Issuer:   issuer.URL,
		Audience: "https://api.example.com",
		// Algorithms is left empty: the guard accepts the asymmetric
		// algorithms the issuer advertises.
	})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /users", g.RequireScopes("list:users")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _ := guard.CallerFromContext(r.Context())
		fmt.Fprintf(w, "users, as seen by %s", caller.Subject())
	})))
	api := httptest.NewServer(g.Middleware(mux))
	defer api.Close()

	for _, token := range []string{"", issuer.Token("read:users"), issuer.Token("list:users")} {
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/users", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Println(resp.StatusCode, string(body))
		} else {
			fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 401 Bearer realm="https://api.example.com"
	// 403 Bearer realm="https://api.example.com", error="insufficient_scope", error_description="insufficient scope", scope="list:users"
	// 200 users, as seen by user-1
}

// Verify checks tokens that do not arrive in an HTTP Authorization header,
// for example on a WebSocket's first message. Errors wrap sentinels to
// branch on.
func ExampleGuard_Verify() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	g, err := guard.New(context.Background(), guard.Options{Issuer: issuer.URL, Audience: guardtest.Audience})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	expired := issuer.Claims("list:users")
	expired["exp"] = time.Now().Add(-time.Minute).Unix()
	for _, token := range []string{issuer.Token("list:users"), issuer.Sign(nil, expired)} {
		caller, err := g.Verify(context.Background(), token)
		switch {
		case errors.Is(err, guard.ErrExpired):
			fmt.Println("expired: ask the client to get a new token")
		case err != nil:
			fmt.Println("refused:", err)
		default:
			fmt.Println("client", caller.ClientID(), "scopes", caller.Scopes())
		}
	}
	// Output:
	// client client-1 scopes [list:users]
	// expired: ask the client to get a new token
}

// Claims reads claims the Caller has no accessor for.
func ExampleCaller_Claims() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	g, err := guard.New(context.Background(), guard.Options{Issuer: issuer.URL, Audience: guardtest.Audience})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	claims := issuer.Claims("list:users")
	claims["tenant"] = "acme"
	caller, err := g.Verify(context.Background(), issuer.Sign(nil, claims))
	if err != nil {
		log.Fatal(err)
	}
	var extra struct {
		Tenant string `json:"tenant"`
	}
	if err := caller.Claims(&extra); err != nil {
		log.Fatal(err)
	}
	fmt.Println(extra.Tenant)
	// Output: acme
}
