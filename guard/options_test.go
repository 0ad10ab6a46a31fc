package guard_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portcullis/portcullis/guard"
	"github.com/portcullis/portcullis/guard/guardtest"
)

// TestNewRefuses checks that New refuses to build a guard that leaves a
// security decision open or cannot read its issuer.
func TestNewRefuses(t *testing.T) {
	iss := newIssuer(t)
	noAlgs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Only symmetric algorithms advertised: nothing is left to accept.
		_, _ = w.Write([]byte(`{"issuer":"` + "http://" + r.Host + `","jwks_uri":"http://` + r.Host + `/jwks","id_token_signing_alg_values_supported":["HS256","none"]}`))
	}))
	defer noAlgs.Close()
	base := guard.Options{Issuer: iss.URL, Audience: guardtest.Audience}
	tests := []struct {
		name    string
		change  func(*guard.Options)
		wantErr error
	}{
		{name: "no issuer", change: func(o *guard.Options) { o.Issuer = "" }, wantErr: guard.ErrMissingIssuer},
		{name: "no audience", change: func(o *guard.Options) { o.Audience = "" }, wantErr: guard.ErrMissingAudience},
		{name: "none", change: func(o *guard.Options) { o.Algorithms = []string{"none"} }, wantErr: guard.ErrUnsafeAlgorithm},
		{name: "HS256", change: func(o *guard.Options) { o.Algorithms = []string{"ES256", "HS256"} }, wantErr: guard.ErrUnsafeAlgorithm},
		{name: "nothing asymmetric advertised", change: func(o *guard.Options) { o.Issuer = noAlgs.URL }, wantErr: guard.ErrNoAlgorithms},
		{name: "realm with a quote", change: func(o *guard.Options) { o.Realm = `a"b` }, wantErr: guard.ErrInvalidOption},
		{name: "negative leeway", change: func(o *guard.Options) { o.Leeway = -time.Second }, wantErr: guard.ErrInvalidOption},
		{name: "refresh bounds inverted", change: func(o *guard.Options) { o.KeyRefreshMin = time.Hour; o.KeyRefreshMax = time.Minute }, wantErr: guard.ErrInvalidOption},
		{name: "DPoP allowed without a public URL", change: func(o *guard.Options) { o.DPoP.Mode = guard.DPoPAllowed }, wantErr: guard.ErrMissingPublicURL},
		{name: "DPoP required without a public URL", change: func(o *guard.Options) { o.DPoP.Mode = guard.DPoPRequired }, wantErr: guard.ErrMissingPublicURL},
		{name: "DPoP mode out of range", change: func(o *guard.Options) { o.DPoP.Mode = 7 }, wantErr: guard.ErrInvalidOption},
		{name: "DPoP public URL with a query", change: func(o *guard.Options) {
			o.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: "https://api.example.com/?a=b"}
		}, wantErr: guard.ErrInvalidOption},
		{name: "DPoP public URL not http", change: func(o *guard.Options) {
			o.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: "ftp://api.example.com"}
		}, wantErr: guard.ErrInvalidOption},
		{name: "DPoP public URL with user information", change: func(o *guard.Options) {
			o.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: "https://u@api.example.com"}
		}, wantErr: guard.ErrInvalidOption},
		{name: "DPoP negative window", change: func(o *guard.Options) {
			o.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: testAPI, Window: -time.Second}
		}, wantErr: guard.ErrInvalidOption},
		{name: "DPoP HS256", change: func(o *guard.Options) {
			o.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: testAPI, Algorithms: []string{"ES256", "HS256"}}
		}, wantErr: guard.ErrUnsafeAlgorithm},
		{name: "DPoP HS256 while off", change: func(o *guard.Options) { o.DPoP.Algorithms = []string{"HS256"} }, wantErr: guard.ErrUnsafeAlgorithm},
		{name: "issuer mismatch", change: func(o *guard.Options) { o.Issuer = iss.URL + "/" }, wantErr: guard.ErrDiscovery},
		{name: "issuer unreachable", change: func(o *guard.Options) { o.Issuer = "http://127.0.0.1:1" }, wantErr: guard.ErrDiscovery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.change(&o)
			g, err := guard.New(t.Context(), o)
			if !errors.Is(err, tt.wantErr) {
				if g != nil {
					g.Close()
				}
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewKeySetUnavailable(t *testing.T) {
	iss := newIssuer(t)
	iss.Wrap("/jwks", func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"hmac"}]}`))
		})
	})
	_, err := guard.New(t.Context(), guard.Options{Issuer: iss.URL, Audience: guardtest.Audience})
	if !errors.Is(err, guard.ErrKeySet) {
		t.Fatalf("New with only a symmetric key published: %v, want ErrKeySet", err)
	}
}
