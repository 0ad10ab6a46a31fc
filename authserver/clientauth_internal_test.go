package authserver

import (
	"encoding/base64"
	"net/http"
	"testing"
)

// TestBasicCredentials holds parseBasic to net/http's Request.BasicAuth,
// which it replaces, and checks the form decoding RFC 6749 section 2.3.1
// adds.
func TestBasicCredentials(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, authz, id, secret string
		ok                      bool
	}{
		{name: "plain", authz: "Basic " + b64("client:secret"), id: "client", secret: "secret", ok: true},
		{name: "scheme in lower case", authz: "basic " + b64("client:secret"), id: "client", secret: "secret", ok: true},
		{name: "form-encoded parts", authz: "Basic " + b64("a%3Ab:s+%25"), id: "a:b", secret: "s %", ok: true},
		{name: "colon in the secret", authz: "Basic " + b64("client:se:cret"), id: "client", secret: "se:cret", ok: true},
		{name: "empty secret", authz: "Basic " + b64("client:"), id: "client", secret: "", ok: true},
		{name: "no colon", authz: "Basic " + b64("client")},
		{name: "not base64", authz: "Basic !!!"},
		{name: "another scheme", authz: "Bearer " + b64("client:secret")},
		{name: "scheme alone", authz: "Basic"},
		{name: "empty", authz: ""},
		{name: "empty user name", authz: "Basic " + b64(":secret")},
		{name: "bad form encoding", authz: "Basic " + b64("client:%zz")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := http.Request{Header: http.Header{"Authorization": {tc.authz}}}
			wu, wp, wok := r.BasicAuth()
			if u, p, ok := parseBasic(tc.authz); u != wu || p != wp || ok != wok {
				t.Fatalf("parseBasic = %q, %q, %v; net/http says %q, %q, %v", u, p, ok, wu, wp, wok)
			}
			id, secret, err := basicCredentials(tc.authz)
			if (err == nil) != tc.ok || id != tc.id || secret != tc.secret {
				t.Fatalf("basicCredentials = %q, %q, %v; want %q, %q, ok %v", id, secret, err, tc.id, tc.secret, tc.ok)
			}
		})
	}
}
