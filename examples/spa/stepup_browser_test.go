package spa_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/mfa"
)

// TestBrowserStepUp drives issue 17's step-up in headless Chromium: the
// user signs in with a password and adds an authenticator app afterwards;
// deleting a user then needs a second factor proved in the last five
// minutes (RFC 9470), which the password-only token lacks, so the API
// (or the gateway, configured as portcullis dev does) answers 401
// insufficient_user_authentication. The app starts a sign-in through the
// agent with the challenge's acr_values and max_age; the authorization
// server, whose session already has the password, asks for the one-time
// code alone; back in the app, the deletion is retried and succeeds, and
// the new tokens state acr mfa, and so do refreshed ones.
func TestBrowserStepUp(t *testing.T) {
	for _, tt := range []struct {
		name          string
		dpop, gateway bool
	}{{"the API refuses, bearer", false, false}, {"the gateway refuses, dpop", true, true}} {
		t.Run(tt.name, func(t *testing.T) { stepUp(t, tt.dpop, tt.gateway) })
	}
}

// signInClaims are the claims of a token that say how the user signed in.
type signInClaims struct {
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
}

// stepUpRefusal is the JSON body of an RFC 9470 challenge.
type stepUpRefusal struct {
	Error     string `json:"error"`
	ACRValues string `json:"acr_values"`
	MaxAge    int    `json:"max_age"`
}

func stepUp(t *testing.T, dpop, gatewayStepUp bool) {
	ctx := browsertest.Chromium(t, 120*time.Second, chromedp.WindowSize(900, 1000))
	s := startStack(t, dpop, gatewayStepUp)

	// With no factor yet, the password is the whole sign-in.
	signIn(t, ctx, s)
	if c := tokenClaims(t, ctx, s); c.ACR != "sfa" || !slices.Equal(c.AMR, []string{"pwd"}) {
		t.Fatalf("the password sign-in's access token: acr %q amr %v", c.ACR, c.AMR)
	}
	secret := addTOTP(t, s)

	// The token falls short of deleting: the RFC 9470 challenge, with the
	// JSON body the app reads it from (CORS lets it).
	req, _ := http.NewRequest(http.MethodDelete, s.gateway+"/users/1", nil)
	req.Header.Set("Origin", s.app)
	req.Header.Set("Token-Handler-Version", "1")
	for _, c := range cookies(t, ctx, s.gateway+"/users") {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var refusal stepUpRefusal
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(challenge, `error="insufficient_user_authentication"`) ||
		!strings.Contains(challenge, `acr_values="mfa phr"`) || !strings.Contains(challenge, `max_age="300"`) ||
		json.Unmarshal(body, &refusal) != nil || refusal != (stepUpRefusal{"insufficient_user_authentication", "mfa phr", 300}) || resp.Header.Get("Access-Control-Allow-Origin") != s.app {
		t.Fatalf("deleting with the password's token: %d, WWW-Authenticate %s, CORS %q, body %s",
			resp.StatusCode, challenge, resp.Header.Get("Access-Control-Allow-Origin"), body)
	}

	// The app lists the users with their Delete buttons.
	listUsers(t, ctx)
	browsertest.CheckPage(t, ctx, "spa-users")

	// Delete user meets the same refusal and signs in again: the
	// authorization server asks for the code, not the password.
	asked := time.Now().Truncate(time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Click(`#users button[data-user-id="1"]`),
		chromedp.WaitVisible(`#code`),
	); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, s.as.URL+"/") {
		t.Errorf("the code was asked at %s, not by the authorization server", loc)
	}
	if password, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[type="password"]') !== null`)); err != nil || password {
		t.Errorf("the step-up asked for the password again (%v)", err)
	}
	id, err := chromedp.Run(ctx, chromedp.Value(`input[name="request"]`))
	if err != nil {
		t.Fatal(err)
	}
	ar, err := s.as.Store.GetAuthRequest(t.Context(), id, time.Now())
	if err != nil || !slices.Equal(ar.ACRValues, []string{"mfa", "phr"}) || ar.MaxAge == nil || *ar.MaxAge != 300 {
		t.Fatalf("the step-up's authorization request: acr_values %v max_age %v (%v)", ar.ACRValues, ar.MaxAge, err)
	}
	browsertest.CheckPage(t, ctx, "signin-factor")

	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#code`, code+"\r"),
		chromedp.WaitVisible(`#signed-in`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#message').textContent === 'User 1 deleted.'`),
	); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(`body`))
		t.Fatalf("back from the step-up: %v\n%s", err, msg)
	}
	if got := text(t, ctx, `#users`); strings.Contains(got, "Ada Lovelace") || !strings.Contains(got, "Alan Turing") {
		t.Errorf("users after deleting user 1: %q", got)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != s.app+"/" {
		t.Errorf("the app kept the authorization response in its URL: %s", loc)
	}
	if pending, err := chromedp.Run(ctx, chromedp.Evaluate[int](`sessionStorage.length`)); err != nil || pending != 0 {
		t.Errorf("the pending deletion outlived its retry: %d items (%v)", pending, err)
	}

	// The new tokens say what the sign-in reached.
	c := tokenClaims(t, ctx, s)
	if c.ACR != "mfa" || !slices.Contains(c.AMR, "pwd") || !slices.Contains(c.AMR, "otp") || !slices.Contains(c.AMR, "mfa") || c.AuthTime < asked.Unix() {
		t.Errorf("the step-up's access token: acr %q amr %v auth_time %d (asked at %d)", c.ACR, c.AMR, c.AuthTime, asked.Unix())
	}
	idClaims, err := chromedp.Run(ctx, chromedp.Evaluate[signInClaims](
		`fetch('`+s.agent+`/oauth-agent/claims', {credentials: 'include'}).then(r => r.json())`, chromedp.EvalAwaitPromise))
	if err != nil || idClaims.ACR != "mfa" || !slices.Contains(idClaims.AMR, "otp") || idClaims.AuthTime != c.AuthTime {
		t.Errorf("the ID token's claims: %+v (%v)", idClaims, err)
	}

	// Within five minutes, the next deletion needs no sign-in.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#users button[data-user-id="2"]`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#message').textContent === 'User 2 deleted.'`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#users li').length === 0`),
	); err != nil {
		t.Fatalf("delete user 2 after the step-up: %v", err)
	}

	// A refreshed token keeps what the sign-in reached, auth_time too.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#refresh`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#message').textContent.startsWith('Tokens refreshed')`),
	); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if r := tokenClaims(t, ctx, s); r.ACR != "mfa" || !slices.Equal(r.AMR, c.AMR) || r.AuthTime != c.AuthTime {
		t.Errorf("the refreshed access token: %+v, want %+v", r, c)
	}
}

// addTOTP gives the test user an authenticator app, enrolled two minutes
// ago (so that the code of now is a later step than the enrolment's, as
// for any user who signs in after enrolling), and returns its secret.
func addTOTP(t *testing.T, s *stack) string {
	t.Helper()
	u, err := s.as.Store.GetUserByUsername(t.Context(), s.as.Username)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := mfa.NewSealer(s.as.Config.Secret)
	if err != nil {
		t.Fatal(err)
	}
	enrolled := time.Now().Add(-2 * time.Minute)
	app := &mfa.TOTP{Issuer: "Portcullis", Now: func() time.Time { return enrolled }, Sealer: sealer}
	e, err := app.New(s.as.Username)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, enrolled)
	if err != nil {
		t.Fatal(err)
	}
	f, err := app.Factor("phone", u.ID, "Phone", e.Secret, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.as.Store.CreateFactor(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	return e.Secret
}

// tokenClaims are the sign-in claims of the access token in the browser's
// cookie.
func tokenClaims(t *testing.T, ctx context.Context, s *stack) signInClaims {
	t.Helper()
	var c signInClaims
	jwtClaims(t, cookieToken(t, s, cookies(t, ctx, s.agent+"/oauth-agent/refresh")["pc-at"]), &c)
	return c
}
