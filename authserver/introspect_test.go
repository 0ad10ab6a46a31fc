package authserver_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
)

// clock is a settable time source shared by the server and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestIntrospectAndRevoke(t *testing.T) {
	clk := &clock{t: time.Now()}
	otherSecret, otherHash := authserver.NewSecret()
	as := authservertest.New(t, func(c *authserver.Config) {
		c.Now = clk.Now
		c.Clients = append(c.Clients, store.Client{ID: "other", SecretHash: otherHash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"read:users"}})
	})
	me := basic(as.ClientID, as.ClientSecret)
	other := basic("other", otherSecret)
	introspect := func(tok string, h header) map[string]any {
		t.Helper()
		status, body := postForm(t, as.URL+"/introspect", url.Values{"token": {tok}}, h)
		if status != http.StatusOK {
			t.Fatalf("introspect: %d %v", status, body)
		}
		return body
	}
	inactive := func(body map[string]any) bool { return len(body) == 1 && body["active"] == false }

	tok := as.Token(t, "list:users read:users")
	got := introspect(tok, me)
	want := map[string]any{"active": true, "scope": "list:users read:users", "client_id": as.ClientID, "sub": as.ClientID,
		"aud": authservertest.API, "iss": as.URL, "token_type": "Bearer"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("introspection %s = %v, want %v (%v)", k, got[k], v, got)
		}
	}
	if got["exp"].(float64)-got["iat"].(float64) != 3600 || got["jti"] == "" {
		t.Fatalf("introspection exp/iat/jti wrong: %v", got)
	}
	if !inactive(introspect(tok, other)) {
		t.Fatal("a client the token was not issued to, registered for none of its APIs, learned about it")
	}

	for name, bad := range map[string]string{
		"empty-ish":          "x",
		"malformed JWT":      "a.b.c",
		"tampered signature": tok[:len(tok)-4] + "AAAA",
		"tampered payload":   strings.Replace(tok, ".", ".e", 1),
		"unsigned":           "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJ4In0.",
	} {
		if !inactive(introspect(bad, me)) {
			t.Fatalf("%s token introspected active", name)
		}
	}

	// Revocation by another client is refused and changes nothing.
	status, body := postForm(t, as.URL+"/revoke", url.Values{"token": {tok}}, other)
	if status != http.StatusBadRequest || body["error"] != "unauthorized_client" {
		t.Fatalf("revoke by another client: %d %v", status, body)
	}
	if introspect(tok, me)["active"] != true {
		t.Fatal("a refused revocation revoked the token")
	}
	// Revocation by the owner makes it inactive at once; repeating is fine.
	for range 2 {
		status, body = postForm(t, as.URL+"/revoke", url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, me)
		if status != http.StatusOK || body != nil {
			t.Fatalf("revoke: %d %v", status, body)
		}
	}
	if !inactive(introspect(tok, me)) {
		t.Fatal("revoked token still active")
	}
	// RFC 7009 section 2.2: unknown tokens and unknown hints answer 200.
	for _, form := range []url.Values{{"token": {"garbage"}}, {"token": {"garbage"}, "token_type_hint": {"foo"}}} {
		if status, body := postForm(t, as.URL+"/revoke", form, me); status != http.StatusOK {
			t.Fatalf("revoke %v: %d %v", form, status, body)
		}
	}

	// The revocation list carries the jti, with a cursor.
	var list struct {
		Cursor  int64 `json:"cursor"`
		Revoked []struct {
			JTI string `json:"jti"`
			Exp int64  `json:"exp"`
		} `json:"revoked"`
	}
	getJSON(t, as.URL+"/revocations", &list)
	if len(list.Revoked) != 1 || list.Revoked[0].JTI != got["jti"] || list.Revoked[0].Exp != int64(got["exp"].(float64)) {
		t.Fatalf("revocation list = %+v", list)
	}
	cursor := list.Cursor
	getJSON(t, as.URL+"/revocations?after="+strconv.FormatInt(cursor, 10), &list)
	if len(list.Revoked) != 0 || list.Cursor != cursor {
		t.Fatalf("revocation list after the cursor = %+v", list)
	}

	// Expiry: a token is inactive once its exp has passed.
	tok2 := as.Token(t, "")
	clk.Add(time.Hour + time.Second)
	if !inactive(introspect(tok2, me)) {
		t.Fatal("expired token introspected active")
	}
}
