package authscheme

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		scheme  Scheme
		token   string
		err     error
	}{
		{name: "bearer", headers: []string{"Bearer abc"}, scheme: Bearer, token: "abc"},
		{name: "dpop", headers: []string{"DPoP abc"}, scheme: DPoP, token: "abc"},
		{name: "scheme without case", headers: []string{"dPoP abc"}, scheme: DPoP, token: "abc"},
		{name: "several spaces", headers: []string{"Bearer   abc"}, scheme: Bearer, token: "abc"},
		{name: "none", err: ErrNoHeader},
		{name: "basic", headers: []string{"Basic dXNlcjpwYXNz"}, err: ErrOtherScheme},
		{name: "empty", headers: []string{""}, err: ErrOtherScheme},
		{name: "scheme only", headers: []string{"DPoP"}, scheme: DPoP, err: ErrMalformed},
		{name: "repeated", headers: []string{"Bearer a", "DPoP a"}, err: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.headers {
				h.Add("Authorization", v)
			}
			s, tok, err := Parse(h)
			if s != tt.scheme || tok != tt.token || !errors.Is(err, tt.err) {
				t.Errorf("Parse = %d %q %v, want %d %q %v", s, tok, err, tt.scheme, tt.token, tt.err)
			}
		})
	}
}

func TestChallengeSet(t *testing.T) {
	const algs = `, algs="ES256"`
	tests := []struct {
		name string
		c    Challenge
		want []string
	}{
		{"bearer only", Challenge{Realm: "r", Bearer: true, Used: Bearer, Code: "invalid_token", Description: "d"},
			[]string{`Bearer realm="r", error="invalid_token", error_description="d"`}},
		{"error on the DPoP challenge", Challenge{Realm: "r", Bearer: true, Algs: "ES256", Used: DPoP, Code: "invalid_dpop_proof"},
			[]string{`Bearer realm="r"`, `DPoP realm="r", error="invalid_dpop_proof"` + algs}},
		{"error on the Bearer challenge", Challenge{Realm: "r", Bearer: true, Algs: "ES256", Used: Bearer, Code: "insufficient_scope", Scope: "a b"},
			[]string{`Bearer realm="r", error="insufficient_scope", scope="a b"`, `DPoP realm="r"` + algs}},
		{"scheme used not offered: on every challenge", Challenge{Realm: "r", Algs: "ES256", Used: Bearer, Code: "invalid_token"},
			[]string{`DPoP realm="r", error="invalid_token"` + algs}},
		{"step-up on the DPoP challenge", Challenge{Realm: "r", Bearer: true, Algs: "ES256", Used: DPoP, Code: "insufficient_user_authentication",
			Description: "d", ACRValues: "mfa phr", MaxAge: 5 * time.Minute},
			[]string{`Bearer realm="r"`, `DPoP realm="r", error="insufficient_user_authentication", error_description="d", acr_values="mfa phr", max_age="300"` + algs}},
		{"step-up, max_age only", Challenge{Realm: "r", Bearer: true, Used: Bearer, Code: "insufficient_user_authentication", MaxAge: time.Minute},
			[]string{`Bearer realm="r", error="insufficient_user_authentication", max_age="60"`}},
		{"no token: no error", Challenge{Realm: "r", Bearer: true, Algs: "ES256"},
			[]string{`Bearer realm="r"`, `DPoP realm="r"` + algs}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Www-Authenticate": {"stale"}}
			tt.c.Set(h)
			got := h.Values("WWW-Authenticate")
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("challenge %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
