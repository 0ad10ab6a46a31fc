package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// signInClaims are the claims saying how a user signed in.
type signInClaims struct {
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
}

// idTokenClaims reads the payload of an ID token the test obtained from the
// server itself (TestCodeFlowInterop verifies its signature).
func idTokenClaims(t *testing.T, raw string) signInClaims {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token %q is not a JWS", raw)
	}
	var c signInClaims
	if err := json.Unmarshal([]byte(decodeSegment(t, parts[1])), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSignInClaims: the tokens of a password sign-in say so, as acr sfa and
// amr pwd with its auth_time, in the ID token (OpenID Connect Core section
// 2), the access token (RFC 9068 section 2.2.1) and introspection, and keep
// saying it after a refresh; a client's own token has no user and none of
// them.
func TestSignInClaims(t *testing.T) {
	as := authservertest.New(t)
	web := basic(as.WebClientID, as.WebClientSecret)
	_, _, tok := signedIn(t, as, "openid", "offline_access", "read:users")
	idt := idTokenClaims(t, tok.Extra("id_token").(string))
	if idt.ACR != "sfa" || !slices.Equal(idt.AMR, []string{"pwd"}) || idt.AuthTime == 0 {
		t.Fatalf("ID token: %+v, want acr sfa, amr [pwd] and an auth_time", idt)
	}
	introspect := func(token string) signInClaims {
		t.Helper()
		status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {token}}, web)
		if status != http.StatusOK || body["active"] != true {
			t.Fatalf("introspect: %d %v", status, body)
		}
		b, _ := json.Marshal(body)
		var c signInClaims
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	check := func(name string, got signInClaims) {
		t.Helper()
		if got.ACR != idt.ACR || !slices.Equal(got.AMR, idt.AMR) || got.AuthTime != idt.AuthTime {
			t.Fatalf("%s: %+v, want %+v", name, got, idt)
		}
	}
	accessClaims := func(raw string) signInClaims {
		at := verify(t, as.URL, raw)
		if at.AuthTime == nil {
			t.Fatalf("access token without auth_time: %+v", at)
		}
		return signInClaims{ACR: at.ACR, AMR: at.AMR, AuthTime: at.AuthTime.Time().Unix()}
	}
	check("access token", accessClaims(tok.AccessToken))
	check("introspection of the access token", introspect(tok.AccessToken))
	check("introspection of the refresh token", introspect(tok.RefreshToken))

	status, next := refreshed(t, as, tok.RefreshToken, nil)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, next)
	}
	check("refreshed ID token", idTokenClaims(t, next["id_token"].(string)))
	check("refreshed access token", accessClaims(next["access_token"].(string)))
	check("introspection of the refreshed access token", introspect(next["access_token"].(string)))
	check("introspection of the rotated refresh token", introspect(next["refresh_token"].(string)))

	cc := as.Token(t, "read:users")
	if at := verify(t, as.URL, cc); at.ACR != "" || at.AMR != nil || at.AuthTime != nil {
		t.Fatalf("client credentials token states a sign-in: %+v", at)
	}
	status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {cc}}, basic(as.ClientID, as.ClientSecret))
	for _, claim := range []string{"acr", "amr", "auth_time"} {
		if _, ok := body[claim]; ok || status != http.StatusOK || body["active"] != true {
			t.Fatalf("introspection of a client credentials token: %d %v", status, body)
		}
	}
}
