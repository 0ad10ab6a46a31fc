package dpop_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
)

const target = "https://api.example.com:8443/v1/things"

func newVerifier(t *testing.T, nonces *dpop.Nonces, now time.Time) *dpop.Verifier {
	t.Helper()
	v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, func() time.Time { return now }), Nonces: nonces, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func header(values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add("DPoP", v)
	}
	return h
}

func TestVerifyRefusesEveryDefect(t *testing.T) {
	now := time.Now()
	nonces, err := dpop.NewNonces(make([]byte, 32), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := dpoptest.NewSigner(t)
	for _, tc := range []struct {
		name   string
		nonces *dpop.Nonces
		req    dpoptest.Request
	}{
		{"token request", nil, dpoptest.Request{Method: "POST", URL: target, Now: now}},
		{"resource request with nonce", nonces, dpoptest.Request{Method: "GET", URL: target, AccessToken: "tok", Nonce: nonces.Issue(now), Now: now}},
	} {
		want := dpop.Request{Method: tc.req.Method, URL: tc.req.URL, AccessToken: tc.req.AccessToken}
		if tc.req.AccessToken != "" {
			want.JKT = s.JKT
		}
		v := newVerifier(t, tc.nonces, now)
		for _, d := range s.Defects(tc.req) {
			t.Run(tc.name+"/"+d.Name, func(t *testing.T) {
				_, err := v.Verify(context.Background(), header(d.Header...), want)
				var e *dpop.Error
				if !errors.As(err, &e) || e.Code != d.Code {
					t.Fatalf("err = %v, want code %s", err, d.Code)
				}
			})
		}
		t.Run(tc.name+"/good", func(t *testing.T) {
			p, err := v.Verify(context.Background(), header(s.Proof(tc.req)), want)
			if err != nil {
				t.Fatal(err)
			}
			if p.JKT != s.JKT {
				t.Errorf("JKT = %s, want %s", p.JKT, s.JKT)
			}
		})
	}
}

func TestVerifyRefusesReplay(t *testing.T) {
	now := time.Now()
	v := newVerifier(t, nil, now)
	s := dpoptest.NewSigner(t)
	proof := s.Proof(dpoptest.Request{Method: "POST", URL: target, Now: now})
	want := dpop.Request{Method: "POST", URL: target}
	if _, err := v.Verify(context.Background(), header(proof), want); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(context.Background(), header(proof), want)
	var e *dpop.Error
	if !errors.As(err, &e) || e.Code != dpop.CodeInvalidProof {
		t.Fatalf("replay: err = %v", err)
	}
}

func TestVerifyNoProof(t *testing.T) {
	v := newVerifier(t, nil, time.Now())
	if _, err := v.Verify(context.Background(), http.Header{}, dpop.Request{Method: "GET", URL: target}); !errors.Is(err, dpop.ErrNoProof) {
		t.Fatalf("err = %v, want ErrNoProof", err)
	}
}

func TestVerifyAcceptsNormalisedTarget(t *testing.T) {
	now := time.Now()
	v := newVerifier(t, nil, now)
	s := dpoptest.NewSigner(t)
	for _, tc := range []struct{ htu, want string }{
		{"HTTPS://API.example.com:443/a/%7euser", "https://api.example.com/a/~user"},
		{"http://localhost:80", "http://localhost/"},
		{"https://h.example/a%2fb", "https://h.example/a%2Fb"},
	} {
		c := dpoptest.Claims(dpoptest.Request{Method: "GET", URL: tc.htu, Now: now})
		if _, err := v.Verify(context.Background(), header(s.ProofWith(c)), dpop.Request{Method: "GET", URL: tc.want}); err != nil {
			t.Errorf("htu %s against %s: %v", tc.htu, tc.want, err)
		}
	}
}

func TestNewVerifierRefusesOpenDecisions(t *testing.T) {
	if _, err := dpop.NewVerifier(dpop.Options{}); err == nil {
		t.Error("no replay cache: built")
	}
	if _, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(1, nil), Algorithms: []jose.SignatureAlgorithm{jose.HS256}}); err == nil {
		t.Error("HS256: built")
	}
}
