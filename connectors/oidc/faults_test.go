package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/connectors"
)

// TestFaults runs a sign-in against a provider, or an answer, with one
// fault each, and checks how Finish classifies it.
func TestFaults(t *testing.T) {
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name string
		// op and query make the fault; want is nil for a sign-in that
		// must succeed, and check then looks at the identity.
		op    func(*fakeOP)
		query func(q url.Values, st connectors.State)
		cfg   func(*Config)
		want  error
		check func(*testing.T, connectors.Identity)
	}{
		{name: "good answer", check: func(t *testing.T, id connectors.Identity) {
			want := connectors.Identity{Subject: "upstream-sub", Username: "ann", Email: "ann@example.com", Name: "Ann",
				EmailVerified: true, Groups: []string{"staff"}, ACR: "urn:mace:incommon:iap:silver", AMR: []string{"pwd", "otp"}}
			if !equal(id, want) {
				t.Errorf("identity = %+v, want %+v", id, want)
			}
		}},
		{name: "wrong issuer in the ID token", op: func(op *fakeOP) { op.claims = set("iss", "https://evil.example") }, want: connectors.ErrRefused},
		{name: "wrong audience", op: func(op *fakeOP) { op.claims = set("aud", "another-client") }, want: connectors.ErrRefused},
		{name: "expired ID token", op: func(op *fakeOP) { op.claims = set("exp", 1000) }, want: connectors.ErrRefused},
		{name: "bad signature", op: func(op *fakeOP) { op.signer = otherKey }, want: connectors.ErrRefused},
		{name: "missing nonce", op: func(op *fakeOP) { op.claims = func(m map[string]any) { delete(m, "nonce") } }, want: connectors.ErrRefused},
		{name: "wrong nonce", op: func(op *fakeOP) { op.claims = set("nonce", "another-sign-in") }, want: connectors.ErrRefused},
		{name: "state of another sign-in", query: func(q url.Values, _ connectors.State) { q.Set("state", "another") }, want: connectors.ErrRefused},
		{name: "no state", query: func(q url.Values, _ connectors.State) { q.Del("state") }, want: connectors.ErrRefused},
		{name: "no code", query: func(q url.Values, _ connectors.State) { q.Del("code") }, want: connectors.ErrRefused},
		{name: "code the provider does not know", query: func(q url.Values, _ connectors.State) { q.Set("code", "forged") }, want: connectors.ErrRefused},
		{name: "error response", query: func(q url.Values, _ connectors.State) {
			q.Set("error", "access_denied")
			q.Set("error_description", "the user said no\nFAKE LOG LINE")
		}, want: connectors.ErrRefused},
		{name: "iss parameter of another issuer", query: func(q url.Values, _ connectors.State) { q.Set("iss", "https://evil.example") }, want: connectors.ErrRefused},
		{name: "iss parameter missing when advertised", op: func(op *fakeOP) { op.issParameter = true }, query: func(q url.Values, _ connectors.State) { q.Del("iss") }, want: connectors.ErrRefused},
		{name: "iss parameter absent when not advertised", query: func(q url.Values, _ connectors.State) { q.Del("iss") }},
		{name: "token endpoint 500", op: func(op *fakeOP) { op.tokenStatus = http.StatusInternalServerError }, want: connectors.ErrUpstream},
		{name: "token endpoint 503", op: func(op *fakeOP) { op.tokenStatus = http.StatusServiceUnavailable }, want: connectors.ErrUpstream},
		{name: "unverified email passed through", op: func(op *fakeOP) { op.claims = set("email_verified", false) }, check: func(t *testing.T, id connectors.Identity) {
			if id.Email != "ann@example.com" || id.EmailVerified {
				t.Errorf("email %q verified %v, want ann@example.com unverified", id.Email, id.EmailVerified)
			}
		}},
		{name: "email_verified as the string true", op: func(op *fakeOP) { op.claims = set("email_verified", "true") }, check: func(t *testing.T, id connectors.Identity) {
			if !id.EmailVerified {
				t.Error("email_verified \"true\" read as not verified")
			}
		}},
		{name: "subject mapped from another claim", op: func(op *fakeOP) { op.claims = set("oid", "object-id") }, cfg: func(c *Config) { c.Claims.Subject = "oid" },
			check: func(t *testing.T, id connectors.Identity) {
				if id.Subject != "object-id" {
					t.Errorf("subject %q, want object-id", id.Subject)
				}
			}},
		{name: "mapped subject not a string", op: func(op *fakeOP) { op.claims = set("oid", 42) }, cfg: func(c *Config) { c.Claims.Subject = "oid" }, want: connectors.ErrRefused},
		{name: "userinfo fills what the ID token lacks", cfg: func(c *Config) { c.UserInfo = true },
			op: func(op *fakeOP) {
				op.claims = func(m map[string]any) { delete(m, "groups") }
				op.userinfo = map[string]any{"sub": "upstream-sub", "groups": []string{"from-userinfo"}, "name": "Not Ann"}
			},
			check: func(t *testing.T, id connectors.Identity) {
				if !slices.Equal(id.Groups, []string{"from-userinfo"}) || id.Name != "Ann" {
					t.Errorf("groups %v name %q, want userinfo's groups and the ID token's name", id.Groups, id.Name)
				}
			}},
		{name: "auth_time from the ID token", op: func(op *fakeOP) { op.claims = set("auth_time", 1700000000) },
			check: func(t *testing.T, id connectors.Identity) {
				if !id.AuthTime.Equal(time.Unix(1700000000, 0)) {
					t.Errorf("auth time %v, want the ID token's", id.AuthTime)
				}
			}},
		{name: "auth_time from userinfo ignored", cfg: func(c *Config) { c.UserInfo = true },
			op: func(op *fakeOP) { op.userinfo = map[string]any{"sub": "upstream-sub", "auth_time": 1700000000} },
			check: func(t *testing.T, id connectors.Identity) {
				if !id.AuthTime.IsZero() {
					t.Errorf("auth time %v from userinfo", id.AuthTime)
				}
			}},
		{name: "acr and amr from userinfo ignored", cfg: func(c *Config) { c.UserInfo = true },
			op: func(op *fakeOP) {
				op.claims = func(m map[string]any) { delete(m, "acr"); delete(m, "amr") }
				op.userinfo = map[string]any{"sub": "upstream-sub", "acr": "mfa", "amr": []string{"hwk"}}
			},
			check: func(t *testing.T, id connectors.Identity) {
				if id.ACR != "" || len(id.AMR) != 0 {
					t.Errorf("acr %q amr %v taken from userinfo", id.ACR, id.AMR)
				}
			}},
		{name: "userinfo about another subject", cfg: func(c *Config) { c.UserInfo = true },
			op: func(op *fakeOP) { op.userinfo = map[string]any{"sub": "someone-else"} }, want: connectors.ErrRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := newFakeOP(t)
			if tc.op != nil {
				tc.op(op)
			}
			cfg := Config{Issuer: op.URL, ClientID: fakeClient, ClientSecret: fakeSecret}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			id, err := fakeSignIn(t, op, cfg, tc.query)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Finish: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Finish: err = %v, want %v", err, tc.want)
			case tc.want != nil:
				t.Logf("err: %v", err)
			case tc.check != nil:
				tc.check(t, id)
			}
		})
	}
}

// fakeSignIn starts a sign-in at op, answers it as op would have with the
// code "the-code", lets query change the answer, and finishes it.
func fakeSignIn(t *testing.T, op *fakeOP, cfg Config, query func(url.Values, connectors.State)) (connectors.Identity, error) {
	t.Helper()
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authURL, st, err := c.Start(ctx, callback, connectors.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	u, _ := url.Parse(authURL)
	op.nonce, op.challenge = u.Query().Get("nonce"), u.Query().Get("code_challenge")
	q := url.Values{"code": {"the-code"}, "state": {st.State}, "iss": {op.URL}}
	if query != nil {
		query(q, st)
	}
	return c.Finish(ctx, callback, st, q)
}

// TestUpstreamDown: a provider that cannot be reached fails Start and
// Finish with ErrUpstream, and so does one gone after discovery.
func TestUpstreamDown(t *testing.T) {
	op := newFakeOP(t)
	c, err := New(Config{Issuer: op.URL, ClientID: fakeClient, ClientSecret: fakeSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, st, err := c.Start(ctx, callback, connectors.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	op.Close()
	q := url.Values{"code": {"the-code"}, "state": {st.State}, "iss": {op.URL}}
	if _, err := c.Finish(ctx, callback, st, q); !errors.Is(err, connectors.ErrUpstream) {
		t.Errorf("Finish with the provider gone: err = %v, want ErrUpstream", err)
	}
	never, err := New(Config{Issuer: op.URL, ClientID: fakeClient, ClientSecret: fakeSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := never.Start(ctx, callback, connectors.StartOptions{}); !errors.Is(err, connectors.ErrUpstream) {
		t.Errorf("Start with the provider down: err = %v, want ErrUpstream", err)
	}
	if _, err := never.Finish(ctx, callback, st, q); !errors.Is(err, connectors.ErrUpstream) {
		t.Errorf("Finish with the provider never discovered: err = %v, want ErrUpstream", err)
	}
}

// TestKeySetDown: an ID token that cannot be checked because the key set
// cannot be fetched is an outage, not a refusal.
func TestKeySetDown(t *testing.T) {
	op := newFakeOP(t)
	mux := op.Config.Handler.(*http.ServeMux)
	op.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jwks" {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		mux.ServeHTTP(w, r)
	})
	_, err := fakeSignIn(t, op, Config{Issuer: op.URL, ClientID: fakeClient, ClientSecret: fakeSecret}, nil)
	if !errors.Is(err, connectors.ErrUpstream) {
		t.Errorf("err = %v, want ErrUpstream", err)
	}
}

// set returns a claims changer that sets k to v.
func set(k string, v any) func(map[string]any) {
	return func(m map[string]any) { m[k] = v }
}

func equal(a, b connectors.Identity) bool {
	return a.Subject == b.Subject && a.Username == b.Username && a.Email == b.Email && a.Name == b.Name &&
		a.EmailVerified == b.EmailVerified && slices.Equal(a.Groups, b.Groups) && a.ACR == b.ACR && slices.Equal(a.AMR, b.AMR)
}
