package guard_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// A route that needs a recent second factor (RFC 9470 step-up): deleting a
// user takes a sign-in of class mfa or phr (a passkey) made in the last
// five minutes. A token of a password sign-in is refused with a challenge
// that tells the client what to ask the authorization server for:
// acr_values and max_age, as authorization request parameters.
func ExampleGuard_RequireAuthentication() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	g, err := guard.New(context.Background(), guard.Options{Issuer: issuer.URL, Audience: guardtest.Audience})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	recentSecondFactor := g.RequireAuthentication(guard.StepUp{ACR: []string{"mfa", "phr"}, MaxAge: 5 * time.Minute})
	mux := http.NewServeMux()
	mux.Handle("DELETE /users/{id}", g.RequireScopes("write:users")(recentSecondFactor(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "user %s deleted", r.PathValue("id"))
		}))))
	api := httptest.NewServer(g.Middleware(mux))
	defer api.Close()

	// guardtest stands in for the tokens of two sign-ins.
	password := issuer.Sign(nil, guardtest.SignedIn(issuer.Claims("write:users"), "sfa", []string{"pwd"}, time.Now()))
	withTOTP := issuer.Sign(nil, guardtest.SignedIn(issuer.Claims("write:users"), "mfa", []string{"pwd", "otp", "mfa"}, time.Now()))
	for _, token := range []string{password, withTOTP} {
		req, _ := http.NewRequest(http.MethodDelete, api.URL+"/users/7", nil)
		req.Header.Set("Authorization", "Bearer "+token)
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
	// 401 Bearer realm="https://api.example.com", error="insufficient_user_authentication", error_description="a stronger sign-in is required", acr_values="mfa phr", max_age="300"
	// 200 user 7 deleted
}

// ACR, AMR and AuthTime tell a handler how the user signed in, for
// decisions finer than a route's StepUp, or for an audit record.
func ExampleCaller_ACR() {
	issuer := guardtest.NewIssuer()
	defer issuer.Close()
	g, err := guard.New(context.Background(), guard.Options{Issuer: issuer.URL, Audience: guardtest.Audience})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	signedIn := time.Now().Add(-2 * time.Minute)
	token := issuer.Sign(nil, guardtest.SignedIn(issuer.Claims("list:users"), "phr", []string{"hwk", "user", "mfa"}, signedIn))
	caller, err := g.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(caller.ACR(), caller.AMR(), time.Since(caller.AuthTime()).Round(time.Minute))
	// Output: phr [hwk user mfa] 2m0s
}
