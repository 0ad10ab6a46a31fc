package authserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// cutoffList is the revocation list's cutoff half.
type cutoffList struct {
	CutoffCursor int64 `json:"cutoff_cursor"`
	Cutoffs      []struct {
		ClientID  string `json:"client_id"`
		Sub       string `json:"sub"`
		NotBefore int64  `json:"not_before"`
		Exp       int64  `json:"exp"`
	} `json:"cutoffs"`
}

// TestRevokeClientCutoff revokes everything of the client credentials
// client, as portcullis tokens revoke --client does, with the clock in
// the middle of a second: introspection then finds the token issued before
// inactive, and the one issued in the same second after the revocation
// too (iat counts whole seconds), while a token issued in the next second
// is active. The revocation list publishes the cutoff with its own cursor.
func TestRevokeClientCutoff(t *testing.T) {
	start := time.Now().Truncate(time.Second).Add(300 * time.Millisecond)
	clk := &clock{t: start}
	as := authservertest.New(t, func(c *authserver.Config) { c.Now = clk.Now })
	me := basic(as.ClientID, as.ClientSecret)
	active := func(tok string) bool {
		t.Helper()
		status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {tok}}, me)
		if status != http.StatusOK {
			t.Fatalf("introspect: %d %v", status, body)
		}
		return body["active"] == true
	}
	before := as.Token(t, "list:users")
	clk.Add(200 * time.Millisecond)
	cut := store.NewCutoff(as.ClientID, "", clk.Now(), time.Hour)
	if n, err := as.Store.RevokeAll(context.Background(), cut, clk.Now()); err != nil || n != 0 {
		t.Fatalf("RevokeAll = %d, %v; a client credentials client has no grant", n, err)
	}
	clk.Add(200 * time.Millisecond)
	sameSecond := as.Token(t, "list:users")
	clk.Add(time.Second)
	after := as.Token(t, "list:users")
	for _, tt := range []struct {
		name   string
		token  string
		active bool
	}{
		{"issued before", before, false},
		{"issued in the revocation's second", sameSecond, false},
		{"issued after", after, true},
	} {
		if got := active(tt.token); got != tt.active {
			t.Errorf("%s: active %v, want %v", tt.name, got, tt.active)
		}
	}

	var list cutoffList
	getJSON(t, as.URL+"/revocations", &list)
	if len(list.Cutoffs) != 1 || list.Cutoffs[0].ClientID != as.ClientID || list.Cutoffs[0].Sub != "" ||
		list.Cutoffs[0].NotBefore != start.Truncate(time.Second).Unix()+1 || list.Cutoffs[0].Exp != list.Cutoffs[0].NotBefore+3600 {
		t.Fatalf("revocation list cutoffs = %+v", list)
	}
	cursor := list.CutoffCursor
	getJSON(t, as.URL+"/revocations?cutoffs_after="+strconv.FormatInt(cursor, 10), &list)
	if len(list.Cutoffs) != 0 || list.CutoffCursor != cursor {
		t.Fatalf("revocation list after the cutoff cursor = %+v", list)
	}
}

// TestRevokeSubjectCutoff revokes everything of a signed-in user: the
// access token introspects inactive, userinfo refuses it, the refresh
// token is dead and the browser must sign in again.
func TestRevokeSubjectCutoff(t *testing.T) {
	as := authservertest.New(t)
	b, f, tok := signedIn(t, as, "openid", "offline_access")
	ctx := context.Background()
	u, _ := as.Store.GetUserByUsername(ctx, as.Username)
	now := time.Now()
	if n, err := as.Store.RevokeAll(ctx, store.NewCutoff("", u.ID, now, time.Hour), now); err != nil || n != 1 {
		t.Fatalf("RevokeAll = %d, %v", n, err)
	}
	_, body := postForm(t, as.URL+"/introspect", url.Values{"token": {tok.AccessToken}}, basic(as.ClientID, as.ClientSecret))
	if body["active"] != false {
		t.Errorf("introspection after revoke: %v", body)
	}
	req, _ := http.NewRequest(http.MethodGet, as.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after revoke: %v %v", resp.StatusCode, err)
	}
	if _, err := f.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("refresh worked after revoke")
	}
	if p := b.get(webFlow(as, "openid").authURL()); !strings.Contains(p.body, `name="password"`) {
		t.Error("the session survived revoking everything of its user")
	}
}

// TestLogoutRevokesSessionGrants signs in twice in one session, once for
// offline access: the ID tokens carry the session's sid, and logging out
// revokes the online grant's access token while the offline grant's
// refresh token keeps working (OpenID Connect Core section 11), its
// refreshed ID token still naming the session.
func TestLogoutRevokesSessionGrants(t *testing.T) {
	as := authservertest.New(t)
	b := newBrowser(t, as)
	online := webFlow(as, "openid")
	onTok, err := online.exchange(b.signIn(online))
	if err != nil {
		t.Fatal(err)
	}
	offline := webFlow(as, "openid", "offline_access")
	offTok, err := offline.exchange(b.signIn(offline))
	if err != nil {
		t.Fatal(err)
	}
	sid := func(tok *oauth2.Token) string {
		t.Helper()
		raw, _ := tok.Extra("id_token").(string)
		parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			SID string `json:"sid"`
		}
		if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
			t.Fatal(err)
		}
		return c.SID
	}
	s := sid(onTok)
	if s == "" || sid(offTok) != s {
		t.Fatalf("sid %q and %q: want one non-empty sid for the session", s, sid(offTok))
	}
	b.get(as.URL + "/logout?" + url.Values{"id_token_hint": {onTok.Extra("id_token").(string)}}.Encode())
	_, body := postForm(t, as.URL+"/introspect", url.Values{"token": {onTok.AccessToken}}, basic(as.ClientID, as.ClientSecret))
	if body["active"] != false {
		t.Errorf("the online grant's access token survived logout: %v", body)
	}
	refreshed, err := offline.conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: offTok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("the offline_access refresh token died with the session: %v", err)
	}
	if sid(refreshed) != s {
		t.Errorf("refreshed ID token sid = %q, want %q", sid(refreshed), s)
	}
}
