package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The floors: the least a server can do for each request. They run as
// subcommands of this binary, pinned like the servers they bound.
//
// floor-json answers a fixed JSON body: the cost of one net/http request.
// floor-es256 reads the form and signs one ES256 access token (RFC 9068
// claims) per request with go-jose, as Portcullis does: the least a token
// endpoint that issues ES256 JWTs can cost.
// floor-proxy is a bare httputil.ReverseProxy to -upstream: what the
// gateway costs without its guard.
// upstream is the gateway's API: a small fixed JSON answer.
var floors = map[string]func(*http.ServeMux, *flag.FlagSet) func() error{
	"floor-json":  floorJSON,
	"floor-es256": floorES256,
	"floor-proxy": floorProxy,
	"upstream":    upstreamAPI,
}

// runFloor serves the floor called name on -addr until killed.
func runFloor(name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	mux := http.NewServeMux()
	setup := floors[name](mux, fs)
	fs.Parse(args)
	if err := setup(); err != nil {
		return err
	}
	return http.ListenAndServe(*addr, mux)
}

var fixedJSON = []byte(`{"active":true,"client_id":"bench","scope":"read","aud":"https://api.bench.test","iss":"http://127.0.0.1","exp":4102444800,"iat":1700000000,"token_type":"Bearer"}`)

func floorJSON(mux *http.ServeMux, _ *flag.FlagSet) func() error {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.Write(fixedJSON)
	})
	return func() error { return nil }
}

func upstreamAPI(mux *http.ServeMux, _ *flag.FlagSet) func() error {
	body := []byte(`{"items":[{"id":1,"name":"one"},{"id":2,"name":"two"}]}`)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	return func() error { return nil }
}

func floorProxy(mux *http.ServeMux, fs *flag.FlagSet) func() error {
	upstream := fs.String("upstream", "", "URL to forward to")
	return func() error {
		u, err := url.Parse(*upstream)
		if err != nil || u.Host == "" {
			return fmt.Errorf("floor-proxy: -upstream %q: want a URL", *upstream)
		}
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.SetXForwarded() },
			Transport: &http.Transport{
				MaxIdleConns:        1024,
				MaxIdleConnsPerHost: 1024,
				IdleConnTimeout:     90 * time.Second,
			},
		}
		mux.Handle("/", rp)
		return nil
	}
}

func floorES256(mux *http.ServeMux, _ *flag.FlagSet) func() error {
	return func() error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		signer, err := jose.NewSigner(
			jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "floor-es256-key-id-0123456789abcdefghijklm"}},
			(&jose.SignerOptions{}).WithType("at+jwt"))
		if err != nil {
			return err
		}
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			var jti [16]byte
			rand.Read(jti[:])
			now := time.Now().Unix()
			// RFC 9068 section 2.2's claims, as Portcullis issues them.
			claims, _ := json.Marshal(map[string]any{
				"iss": "http://127.0.0.1:8080", "sub": "bench", "aud": "https://api.bench.test",
				"client_id": "bench", "scope": "read", "iat": now, "exp": now + 3600,
				"jti": base64.RawURLEncoding.EncodeToString(jti[:]),
			})
			jws, err := signer.Sign(claims)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			token, _ := jws.CompactSerialize()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			json.NewEncoder(w).Encode(map[string]any{
				"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "read",
			})
		})
		return nil
	}
}

// floorMain runs a floor when os.Args names one, and reports whether it did.
func floorMain() bool {
	if len(os.Args) < 2 || floors[os.Args[1]] == nil {
		return false
	}
	if err := runFloor(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return true
}
