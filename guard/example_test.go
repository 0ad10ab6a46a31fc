package guard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/dpop"
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

// An API that accepts only tokens bound to the caller's key (RFC 9449):
// each request carries "Authorization: DPoP <token>" and a proof, signed
// with that key, of its method and URL. The proof's URL is checked against
// PublicURL, never the Host header, so the guard needs to know it before
// the server starts.
func ExampleDPoP() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	public := "http://" + ln.Addr().String() // https://api.example.com in production

	g, err := guard.New(context.Background(), guard.Options{
		Issuer:   issuer.URL,
		Audience: guardtest.Audience,
		DPoP: guard.DPoP{
			// DPoPAllowed would also accept unbound bearer tokens.
			Mode:      guard.DPoPRequired,
			PublicURL: public,
			// Replay is left nil: proofs are remembered in memory, which
			// is right for one instance; several share
			// redisstate.Client.DPoPReplay.
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	api := &httptest.Server{Listener: ln, Config: &http.Server{Handler: g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _ := guard.CallerFromContext(r.Context())
		fmt.Fprintf(w, "hello %s, holder of the key the token is bound to: %t", caller.Subject(), caller.Thumbprint() != "")
	}))}}
	api.Start()
	defer api.Close()

	// The client's key; the authorization server binds its tokens to it
	// (guardtest stands in here).
	key, err := dpop.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	token := issuer.BoundToken("list:users", key.Thumbprint())

	// A bearer request is refused...
	req, _ := http.NewRequest(http.MethodGet, public+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))

	// ...while dpop's client sends the token with a fresh proof each time.
	client := dpop.NewClient(key, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "DPoP"}), nil)
	resp, err = client.Get(public + "/users")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 401 DPoP realm="https://api.example.com", error="invalid_token", error_description="this API accepts DPoP-bound tokens only", algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"
	// 200 hello user-1, holder of the key the token is bound to: true
}

// Options.Observe reports every request the guard judges, once, with the
// route the ServeMux matched: here it counts calls per route and outcome,
// as a metric or a usage record would.
func ExampleOptions_observe() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	var mu sync.Mutex
	calls := map[string]int{}
	g, err := guard.New(context.Background(), guard.Options{
		Issuer:   issuer.URL,
		Audience: guardtest.Audience,
		// Cheap, non-blocking, safe for concurrent use: it runs on the
		// request path. Outcome's values form a fixed set.
		Observe: func(r *http.Request, c *guard.Caller, err error) {
			mu.Lock()
			defer mu.Unlock()
			calls[fmt.Sprintf("%q %s", r.Pattern, guard.Outcome(err))]++
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /users", g.RequireScopes("list:users")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	api := httptest.NewServer(g.Middleware(mux))
	defer api.Close()

	for _, token := range []string{"", issuer.Token("read:users"), issuer.Token("list:users"), issuer.Token("list:users")} {
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/users", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(calls)) {
		fmt.Println(k, calls[k])
	}
	// Output:
	// "" no_token 1
	// "GET /users" allowed 2
	// "GET /users" insufficient_scope 1
}

// An API that may start before its issuer: with RetryStart, New returns
// while the issuer is down, requests are answered 503 with Retry-After,
// and Ready feeds the API's readiness check until the guard has read the
// issuer.
func ExampleOptions_retryStart() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	issuer.SetMode(guardtest.Down) // not up yet

	g, err := guard.New(context.Background(), guard.Options{
		Issuer:     issuer.URL,
		Audience:   "https://api.example.com",
		RetryStart: true,
	})
	if err != nil {
		log.Fatal(err) // only a security decision left open fails now
	}
	defer g.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if g.Ready() != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/", g.Middleware(http.NotFoundHandler()))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/users", nil))
	fmt.Println(w.Code, w.Header().Get("Retry-After") != "", errors.Is(g.Ready(), guard.ErrNotReady))

	issuer.SetMode(guardtest.Up)
	for g.Ready() != nil {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("ready")
	// Output:
	// 503 true true
	// ready
}
