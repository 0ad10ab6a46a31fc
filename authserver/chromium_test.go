package authserver_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/internal/browsertest"
)

// TestBrowserSignIn runs the authorization code flow in headless Chromium,
// with the keyboard only: the login page's autofocus, Tab and Enter. The
// code the browser lands with is exchanged with golang.org/x/oauth2 and the
// ID token verified with go-oidc.
func TestBrowserSignIn(t *testing.T) {
	ctx := browsertest.Chromium(t, 90*time.Second)
	as := authservertest.New(t)
	f := webFlow(as, "openid", "profile", "email")
	err := chromedp.Do(ctx,
		chromedp.Navigate(f.authURL()),
		chromedp.WaitVisible(`#username`),
		chromedp.KeyEvent(as.Username), // the username field has autofocus
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(as.Password),
	)
	if err != nil {
		t.Fatalf("fill the login form: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`#app`)); err != nil {
		t.Fatalf("submit with Enter: %v", err)
	}
	landed, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("PORTCULLIS_ARTIFACTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "login-page.png"), shot, 0o644)
	}
	u, err := url.Parse(landed)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.exchange(f.code(t, as, u))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	provider, err := oidc.NewProvider(context.Background(), as.URL)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: as.WebClientID}).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct{ Name string }
	idt.Claims(&claims)
	if idt.Nonce != f.nonce || claims.Name != "Demo User" {
		t.Fatalf("ID token nonce %q name %q", idt.Nonce, claims.Name)
	}
}
