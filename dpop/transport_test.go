package dpop_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
)

// seen is what a scripted server received in one request.
type seen struct {
	// Proof is the verified proof's error: nil when the proof was good
	// for the request's method, URL and DPoP access token.
	Proof error
	// Nonce and Hash are the proof's nonce and ath claims.
	Nonce, Hash string
	Body        string
}

// scripted is a server that verifies every request's proof with the real
// Verifier, records it, and lets answer decide the response to the nth
// request (from 0).
type scripted struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newScripted(t *testing.T, answer func(w http.ResponseWriter, n int, s seen)) *scripted {
	t.Helper()
	v := newVerifier(t, nil, time.Now())
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var token string
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP "); ok {
			token = tok
		}
		_, err := v.Verify(r.Context(), r.Header, dpop.Request{Method: r.Method, URL: s.URL + r.URL.Path, AccessToken: token})
		got := seen{Proof: err, Body: string(body)}
		got.Nonce, got.Hash = claimsOf(r.Header.Get(dpop.Header))
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, got)
		s.mu.Unlock()
		answer(w, n, got)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scripted) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// claimsOf returns a proof's nonce and ath, unverified.
func claimsOf(proof string) (nonce, hash string) {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		return "", ""
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Nonce string `json:"nonce"`
		Hash  string `json:"ath"`
	}
	json.Unmarshal(b, &c)
	return c.Nonce, c.Hash
}

// Answers of the scripted servers.

// useNonce400 answers as an authorization server does (RFC 9449 section 8).
func useNonce400(w http.ResponseWriter, nonce string) {
	w.Header().Set(dpop.NonceHeader, nonce)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}`)
}

// useNonce401 answers as a resource server does (RFC 9449 section 9).
func useNonce401(w http.ResponseWriter, nonce string) {
	w.Header().Set(dpop.NonceHeader, nonce)
	w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256"`)
	w.WriteHeader(http.StatusUnauthorized)
}

// requireNonce answers use_dpop_nonce (with form) to a proof that lacks
// the server's current nonce, "n1", and ok otherwise.
func requireNonce(form func(http.ResponseWriter, string)) func(http.ResponseWriter, int, seen) {
	return func(w http.ResponseWriter, _ int, s seen) {
		if s.Nonce != "n1" {
			form(w, "n1")
			return
		}
		io.WriteString(w, "ok "+s.Body)
	}
}

func postForm(t *testing.T, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// onlyReader hides strings.Reader's type, so http.NewRequest cannot make
// the body replayable (GetBody stays nil).
type onlyReader struct{ io.Reader }

func TestTransport(t *testing.T) {
	const form = "grant_type=client_credentials"
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter, int, seen)
		// req makes the request to the server at url.
		req func(t *testing.T, url string) *http.Request
		// status and body are the response the caller must get.
		status int
		body   string
		// nonces are the nonce claims of the proofs the server saw, in
		// order; its length is the number of requests sent.
		nonces []string
		// warmUp sends one request first, not counted in nonces.
		warmUp bool
	}{{
		name:   "adds a proof",
		answer: func(w http.ResponseWriter, _ int, s seen) { io.WriteString(w, "ok") },
		req:    func(t *testing.T, url string) *http.Request { return postForm(t, url, strings.NewReader(form)) },
		status: 200, body: "ok", nonces: []string{""},
	}, {
		name:   "400 use_dpop_nonce: once more with the nonce and the same body",
		answer: requireNonce(useNonce400),
		req:    func(t *testing.T, url string) *http.Request { return postForm(t, url, strings.NewReader(form)) },
		status: 200, body: "ok " + form, nonces: []string{"", "n1"},
	}, {
		name:   "401 use_dpop_nonce challenge: once more with the nonce",
		answer: requireNonce(useNonce401),
		req: func(t *testing.T, url string) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, url+"?page=2", nil)
			req.Header.Set("Authorization", "DPoP tok")
			return req
		},
		status: 200, body: "ok ", nonces: []string{"", "n1"},
	}, {
		name:   "a body that cannot be replayed is not sent twice",
		answer: requireNonce(useNonce400),
		req: func(t *testing.T, url string) *http.Request {
			return postForm(t, url, onlyReader{strings.NewReader(form)})
		},
		status: 400, body: `{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}`, nonces: []string{""},
	}, {
		name:   "http.NoBody can be replayed",
		answer: requireNonce(useNonce400),
		req: func(t *testing.T, url string) *http.Request {
			req := postForm(t, url, nil)
			req.Body = http.NoBody
			return req
		},
		status: 200, body: "ok ", nonces: []string{"", "n1"},
	}, {
		name: "never twice: a server that keeps asking gets its answer passed on",
		answer: func(w http.ResponseWriter, n int, _ seen) {
			useNonce400(w, fmt.Sprintf("n%d", n+1))
		},
		req:    func(t *testing.T, url string) *http.Request { return postForm(t, url, strings.NewReader(form)) },
		status: 400, body: `{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}`, nonces: []string{"", "n1"},
	}, {
		name: "use_dpop_nonce with the nonce already sent is not retried",
		answer: func(w http.ResponseWriter, n int, s seen) {
			if n == 0 {
				w.Header().Set(dpop.NonceHeader, "n1")
				io.WriteString(w, "first")
				return
			}
			useNonce400(w, "n1")
		},
		req:    func(t *testing.T, url string) *http.Request { return postForm(t, url, strings.NewReader(form)) },
		status: 400, body: `{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}`,
		nonces: []string{"n1"}, warmUp: true,
	}, {
		name: "another 400 is passed on whole, even past 4 KiB",
		answer: func(w http.ResponseWriter, _ int, _ seen) {
			w.Header().Set(dpop.NonceHeader, "n1")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant","error_description":"`+strings.Repeat("x", 10<<10)+`"}`)
		},
		req:    func(t *testing.T, url string) *http.Request { return postForm(t, url, strings.NewReader(form)) },
		status: 400, body: `{"error":"invalid_grant","error_description":"` + strings.Repeat("x", 10<<10) + `"}`, nonces: []string{""},
	}, {
		name: "401 with another error is not retried",
		answer: func(w http.ResponseWriter, _ int, _ seen) {
			w.Header().Set(dpop.NonceHeader, "n1")
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "no")
		},
		req:    func(t *testing.T, url string) *http.Request { r, _ := http.NewRequest("GET", url, nil); return r },
		status: 401, body: "no", nonces: []string{""},
	}, {
		name:   "a request without a method is a GET",
		answer: func(w http.ResponseWriter, _ int, s seen) { fmt.Fprint(w, s.Proof == nil) },
		req: func(t *testing.T, url string) *http.Request {
			r, _ := http.NewRequest("GET", url, nil)
			r.Method = ""
			return r
		},
		status: 200, body: "true", nonces: []string{""},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := dpop.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			srv := newScripted(t, tc.answer)
			client := dpop.HTTPClient(key, nil)
			skip := 0
			if tc.warmUp {
				warm, err := client.Do(postForm(t, srv.URL, strings.NewReader(form)))
				if err != nil {
					t.Fatal(err)
				}
				warm.Body.Close()
				skip = 1
			}
			req := tc.req(t, srv.URL+"/token")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || string(body) != tc.body {
				t.Errorf("got %d %.200s, want %d %.200s", resp.StatusCode, body, tc.status, tc.body)
			}
			got := srv.requests()[skip:]
			var nonces []string
			for i, s := range got {
				nonces = append(nonces, s.Nonce)
				if s.Proof != nil {
					t.Errorf("request %d: proof refused: %v", i, s.Proof)
				}
				if i > 0 && s.Body != got[0].Body {
					t.Errorf("request %d: body %q, first was %q", i, s.Body, got[0].Body)
				}
			}
			if fmt.Sprint(nonces) != fmt.Sprint(tc.nonces) {
				t.Errorf("proofs' nonces %q, want %q", nonces, tc.nonces)
			}
			if req.Header.Get(dpop.Header) != "" {
				t.Error("the caller's request was changed")
			}
		})
	}
}

func TestTransportHashesDPoPTokensOnly(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := newScripted(t, func(w http.ResponseWriter, _ int, _ seen) {})
	client := dpop.HTTPClient(key, nil)
	for _, auth := range []string{"DPoP tok-1", "dpop tok-2", "Bearer tok-3", ""} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var hashes []string
	for _, s := range srv.requests() {
		hashes = append(hashes, s.Hash)
	}
	want := []string{dpop.TokenHash("tok-1"), dpop.TokenHash("tok-2"), "", ""}
	if fmt.Sprint(hashes) != fmt.Sprint(want) {
		t.Errorf("ath %q, want %q", hashes, want)
	}
}

func TestTransportRemembersNoncesPerOrigin(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	// a gives a new nonce with every answer; b never gives one.
	a := newScripted(t, func(w http.ResponseWriter, n int, _ seen) {
		w.Header().Set(dpop.NonceHeader, fmt.Sprintf("a%d", n))
	})
	b := newScripted(t, func(w http.ResponseWriter, _ int, _ seen) {})
	client := dpop.HTTPClient(key, nil)
	for _, url := range []string{a.URL, a.URL, b.URL, a.URL + "/other/path?q", b.URL} {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, tc := range []struct {
		srv  *scripted
		want []string
	}{{a, []string{"", "a0", "a1"}}, {b, []string{"", ""}}} {
		var got []string
		for _, s := range tc.srv.requests() {
			got = append(got, s.Nonce)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: nonces %q, want %q", tc.srv.URL, got, tc.want)
		}
	}
}

func TestTransportRemembersTheRetrysNonce(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	// The first answer asks for n1; the retry's answer moves on to n2.
	srv := newScripted(t, func(w http.ResponseWriter, n int, s seen) {
		if n == 0 {
			useNonce400(w, "n1")
			return
		}
		w.Header().Set(dpop.NonceHeader, "n2")
	})
	client := dpop.HTTPClient(key, nil)
	for range 2 {
		resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var got []string
	for _, s := range srv.requests() {
		got = append(got, s.Nonce)
	}
	if want := []string{"", "n1", "n2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("nonces %q, want %q", got, want)
	}
}

// Many goroutines share one Transport against a server that requires its
// nonces: each request succeeds, retried at most once.
func TestTransportConcurrent(t *testing.T) {
	key, err := dpop.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	nonces, err := dpop.NewNonces(make([]byte, 32), 0)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil), Nonces: nonces})
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(dpop.NonceHeader, v.Nonce())
		var e *dpop.Error
		switch _, err := v.Verify(r.Context(), r.Header, dpop.Request{Method: r.Method, URL: srv.URL + r.URL.Path}); {
		case errors.As(err, &e) && e.Code == dpop.CodeUseNonce:
			useNonce400(w, v.Nonce())
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	client := dpop.HTTPClient(key, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			resp, err := client.Post(srv.URL+"/token", "text/plain", strings.NewReader("x"))
			if err != nil {
				errs <- err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("%d %s", resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// errBody records whether it was closed.
type errBody struct {
	io.Reader
	closed bool
}

func (b *errBody) Close() error { b.closed = true; return nil }

func TestTransportWithoutKey(t *testing.T) {
	body := &errBody{Reader: strings.NewReader("x")}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "https://as.example/token", body)
	if _, err := (&dpop.Transport{}).RoundTrip(req); err == nil {
		t.Fatal("sent without a key")
	}
	if !body.closed {
		t.Error("the request body was not closed")
	}
}
