package agent_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/portcullis/portcullis/agent"
)

// An agent serves its endpoints on its own address, beside the app.
func ExampleNew() {
	cfg := agent.Config{
		Listen:                "127.0.0.1:8081",
		Issuer:                "https://login.example.com",
		ClientID:              "spa-agent",
		ClientSecret:          os.Getenv("AGENT_SECRET"),
		RedirectURI:           "https://app.example.com/",
		PostLogoutRedirectURI: "https://app.example.com/",
		Scope:                 "openid profile offline_access read:users",
		TrustedWebOrigins:     []string{"https://app.example.com"},
		CookieEncryptionKey:   agent.Keys{os.Getenv("COOKIE_KEY")},
	}
	a, err := agent.New(context.Background(), cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: cfg.Listen, Handler: a, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// A proxy in front of an API turns the agent's access-token cookie into a
// bearer token, as package gateway does for routes with cookies: true.
// The cookie here is the first test vector of the published format; over
// https, the access-token cookie's name has the __Host- prefix.
func ExampleCookieReader() {
	cookies, err := agent.NewCookieReader(agent.CookieConfig{
		CookieEncryptionKey: agent.Keys{"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
		TrustedWebOrigins:   []string{"https://app.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Header.Get("Authorization"))
	})
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookies.CORS(w, r)
		token, err := cookies.AccessToken(r)
		if errors.Is(err, agent.ErrInvalidCookie) {
			cookies.ClearAccessToken(w)
		}
		if err != nil {
			// The app calls the agent's /refresh on a 401.
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r = r.Clone(r.Context())
		cookies.StripCookies(r.Header)
		r.Header.Set("Authorization", "Bearer "+token)
		api.ServeHTTP(w, r)
	})

	r := httptest.NewRequest(http.MethodGet, "/users", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Cookie", "__Host-pc-at=AgABAgMEBQYHCAkKC2cj9DjhwOQ8pWi9oJ3EVkL3uexRnvakLqQuvXBBYNCuXCALCHY")
	proxy.ServeHTTP(httptest.NewRecorder(), r)
	// Output: Bearer token
}
