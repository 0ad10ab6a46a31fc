package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

var (
	devWebSecret   = regexp.MustCompile(`web client +demo-web, secret (\S+),`)
	devUpstreamPwd = regexp.MustCompile(`sign in there as upstream-demo, password (\S+)\)`)
)

// tryDevUpstream follows the banner of a running portcullis dev: the
// login page offers "Continue with Upstream IdP (demo)", which leads to
// the upstream's login page at localhost; the banner's upstream-demo
// signs in there and the web client gets a code whose ID token says amr
// fed.
func tryDevUpstream(t *testing.T, banner string) {
	t.Helper()
	sec, pw := devWebSecret.FindStringSubmatch(banner), devUpstreamPwd.FindStringSubmatch(banner)
	if sec == nil || pw == nil {
		t.Fatalf("the banner names no web client secret or upstream password:\n%s", banner)
	}
	upstream := "http://" + devUpstream
	waitReady(t, upstream)
	jar, _ := cookiejar.New(nil)
	app := "http://" + devApp + "/callback"
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), app) {
			return http.ErrUseLastResponse // the app's callback: the code
		}
		return nil
	}}
	// page requests and returns where it ended and its body.
	page := func(resp *http.Response, err error) (*http.Response, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	submit := func(body, action string, form url.Values) (*http.Response, string) {
		t.Helper()
		for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
			if !form.Has(html.UnescapeString(m[1])) {
				form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
		}
		return page(browser.PostForm(action, form))
	}
	conf := oauth2.Config{ClientID: "demo-web", ClientSecret: sec[1], RedirectURL: app, Scopes: []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: devIssuer + "/authorize", TokenURL: devIssuer + "/token"}}
	verifier := oauth2.GenerateVerifier()
	_, body := page(browser.Get(conf.AuthCodeURL("dev-state", oauth2.S256ChallengeOption(verifier))))
	if !strings.Contains(body, `value="upstream"`) || !strings.Contains(body, "Continue with Upstream IdP (demo)") {
		t.Fatalf("the login page offers no upstream:\n%s", body)
	}
	resp, body := submit(body, devIssuer+"/login/connector", url.Values{"connector": {"upstream"}})
	if resp.Request.URL.Host != devUpstream || !strings.Contains(body, `name="password"`) {
		t.Fatalf("Continue with the upstream: at %s (%d), want its login page:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	resp, body = submit(body, upstream+"/login", url.Values{"username": {"upstream-demo"}, "password": {pw[1]}})
	if strings.Contains(body, `name="decision"`) { // the demo web client asks for consent
		resp, _ = submit(body, devIssuer+"/consent", url.Values{"decision": {"allow"}})
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), app) || back.Query().Get("code") == "" {
		t.Fatalf("the sign-in through the upstream ends at %s (%d), want the app's callback with a code:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	tok, err := conf.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	parts := strings.Split(idt, ".")
	var claims struct{ AMR []string }
	if len(parts) == 3 {
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(payload, &claims)
	}
	if !slices.Equal(claims.AMR, []string{"fed"}) {
		t.Errorf("the ID token's amr is %v, want [fed]", claims.AMR)
	}
}
