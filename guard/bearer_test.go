package guard

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/authscheme"
)

func TestCredentials(t *testing.T) {
	tests := []struct {
		name       string
		headers    []string
		wantScheme authscheme.Scheme
		want       string
		wantErr    error
	}{
		{name: "bearer", headers: []string{"Bearer abc.def.ghi"}, wantScheme: authscheme.Bearer, want: "abc.def.ghi"},
		{name: "scheme is case-insensitive", headers: []string{"bEaReR abc"}, wantScheme: authscheme.Bearer, want: "abc"},
		{name: "several spaces", headers: []string{"Bearer   abc"}, wantScheme: authscheme.Bearer, want: "abc"},
		{name: "dpop", headers: []string{"DPoP abc.def.ghi"}, wantScheme: authscheme.DPoP, want: "abc.def.ghi"},
		{name: "dpop in lower case", headers: []string{"dpop abc"}, wantScheme: authscheme.DPoP, want: "abc"},
		{name: "absent", wantErr: ErrNoToken},
		{name: "basic", headers: []string{"Basic dXNlcjpwYXNz"}, wantErr: ErrNoToken},
		{name: "scheme only", headers: []string{"Bearer"}, wantScheme: authscheme.Bearer, wantErr: ErrMalformedRequest},
		{name: "scheme and space", headers: []string{"Bearer "}, wantScheme: authscheme.Bearer, wantErr: ErrMalformedRequest},
		{name: "dpop scheme only", headers: []string{"DPoP"}, wantScheme: authscheme.DPoP, wantErr: ErrMalformedRequest},
		{name: "two headers", headers: []string{"Bearer a", "Bearer b"}, wantErr: ErrMalformedRequest},
		{name: "two schemes", headers: []string{"Bearer a", "DPoP a"}, wantErr: ErrMalformedRequest},
		{name: "empty", headers: []string{""}, wantErr: ErrNoToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.headers {
				h.Add("Authorization", v)
			}
			s, got, err := credentials(h)
			if !errors.Is(err, tt.wantErr) || got != tt.want || s != tt.wantScheme {
				t.Errorf("credentials = %d, %q, %v; want %d, %q, %v", s, got, err, tt.wantScheme, tt.want, tt.wantErr)
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
