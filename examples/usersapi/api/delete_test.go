package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestDeleteNeedsStepUp: deleting a user takes write:users and a recent
// second factor. A password sign-in's token is refused with the RFC 9470
// challenge a client signs in again with; an mfa one, from guardtest's
// fake issuer, deletes.
func TestDeleteNeedsStepUp(t *testing.T) {
	issuer := guardtest.NewIssuer()
	t.Cleanup(issuer.Close)
	g, err := guard.New(t.Context(), guard.Options{Issuer: issuer.URL, Audience: guardtest.Audience, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	api := httptest.NewServer(Handler(g, SampleUsers))
	t.Cleanup(api.Close)

	now := time.Now()
	token := func(scope, acr string, amr []string, authTime time.Time) string {
		return issuer.Sign(nil, guardtest.SignedIn(issuer.Claims(scope), acr, amr, authTime))
	}
	withTOTP := []string{"pwd", "otp", "mfa"}
	const challenge = `Bearer realm="https://api.example.com", error="insufficient_user_authentication", error_description="`
	tests := []struct {
		name      string
		method    string
		path      string
		token     string
		status    int
		challenge string
	}{
		{name: "password", method: "DELETE", path: "/users/1", token: token("write:users", "sfa", []string{"pwd"}, now), status: 401,
			challenge: challenge + `a stronger sign-in is required", acr_values="mfa phr", max_age="300"`},
		{name: "a client's own token", method: "DELETE", path: "/users/1", token: issuer.Token("write:users"), status: 401,
			challenge: challenge + `a stronger sign-in is required", acr_values="mfa phr", max_age="300"`},
		{name: "second factor an hour ago", method: "DELETE", path: "/users/1", token: token("write:users", "mfa", withTOTP, now.Add(-time.Hour)), status: 401,
			challenge: challenge + `a more recent sign-in is required", acr_values="mfa phr", max_age="300"`},
		{name: "second factor without write:users", method: "DELETE", path: "/users/1", token: token("list:users", "mfa", withTOTP, now), status: 403,
			challenge: `Bearer realm="https://api.example.com", error="insufficient_scope", error_description="insufficient scope", scope="write:users"`},
		{name: "second factor", method: "DELETE", path: "/users/1", token: token("write:users", "mfa", withTOTP, now), status: 204},
		{name: "gone from the list", method: "GET", path: "/users/1", token: token("read:users", "sfa", []string{"pwd"}, now), status: 404},
		{name: "passkey, deleted already", method: "DELETE", path: "/users/1", token: token("write:users", "phr", []string{"hwk", "user", "mfa"}, now), status: 404},
		{name: "the other stays", method: "GET", path: "/users/2", token: token("read:users", "sfa", []string{"pwd"}, now), status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, api.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("%d %s %s; want %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tt.status, tt.challenge)
			}
		})
	}
	if len(SampleUsers) != 2 {
		t.Error("a deletion changed SampleUsers rather than the API's copy")
	}
}
