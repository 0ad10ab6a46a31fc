package authserver_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// headlessChromium starts Debian's chromium for one test, or skips the test
// saying why.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it, so CI runs this test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser and must not carry a timeout,
	// which would stop the whole browser; later ones get one.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// TestBrowserSignIn runs the authorization code flow in headless Chromium,
// with the keyboard only: the login page's autofocus, Tab and Enter. The
// code the browser lands with is exchanged with golang.org/x/oauth2 and the
// ID token verified with go-oidc.
func TestBrowserSignIn(t *testing.T) {
	ctx := headlessChromium(t)
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
