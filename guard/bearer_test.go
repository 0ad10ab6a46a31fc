package guard

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    string
		wantErr error
	}{
		{name: "bearer", headers: []string{"Bearer abc.def.ghi"}, want: "abc.def.ghi"},
		{name: "scheme is case-insensitive", headers: []string{"bEaReR abc"}, want: "abc"},
		{name: "several spaces", headers: []string{"Bearer   abc"}, want: "abc"},
		{name: "absent", wantErr: ErrNoToken},
		{name: "basic", headers: []string{"Basic dXNlcjpwYXNz"}, wantErr: ErrNoToken},
		{name: "scheme only", headers: []string{"Bearer"}, wantErr: ErrMalformedRequest},
		{name: "scheme and space", headers: []string{"Bearer "}, wantErr: ErrMalformedRequest},
		{name: "two headers", headers: []string{"Bearer a", "Bearer b"}, wantErr: ErrMalformedRequest},
		{name: "empty", headers: []string{""}, wantErr: ErrNoToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.headers {
				h.Add("Authorization", v)
			}
			got, err := bearerToken(h)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("bearerToken = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestValidToken68(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{name: "jwt", token: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", want: true},
		{name: "all allowed characters", token: "aZ09-._~+/", want: true},
		{name: "padding", token: "abc==", want: true},
		{name: "empty", token: "", want: false},
		{name: "padding only", token: "==", want: false},
		{name: "padding inside", token: "ab=c", want: false},
		{name: "space", token: "ab c", want: false},
		{name: "quote", token: `ab"c`, want: false},
		{name: "comma", token: "ab,c", want: false},
		{name: "non-ASCII", token: "abé", want: false},
		{name: "too long", token: strings.Repeat("a", maxTokenLen+1), want: false},
		{name: "longest", token: strings.Repeat("a", maxTokenLen), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validToken68(tt.token); got != tt.want {
				t.Errorf("validToken68(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}
