package dpop

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/internal/authscheme"
)

// Transport is an http.RoundTripper that adds a proof of Key to every
// request (RFC 9449 section 4.1), with ath when the request carries an
// "Authorization: DPoP" token (section 7.1). It remembers each server's
// latest DPoP-Nonce and, when a server answers use_dpop_nonce, retries the
// request once with the new nonce (section 8) if its body can be replayed
// (http.NewRequest makes that so for the usual bodies).
type Transport struct {
	// Key signs the proofs. Required.
	Key *Key
	// Base sends the requests. Nil means http.DefaultTransport.
	Base http.RoundTripper

	nonces sync.Map // origin (scheme://host) -> latest nonce
}

// HTTPClient returns an *http.Client with a Transport of key over base.
// Put it in a context under oauth2.HTTPClient and every
// golang.org/x/oauth2 flow, clientcredentials included, asks for tokens
// bound to key and sends proofs with them:
//
//	ctx = context.WithValue(ctx, oauth2.HTTPClient, dpop.HTTPClient(key, nil))
//	client := cfg.Client(ctx) // cfg a *clientcredentials.Config
func HTTPClient(key *Key, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &Transport{Key: key, Base: base}}
}

// NewClient returns an *http.Client that calls APIs with the tokens of ts,
// each request with a proof of key. ts must get its tokens with proofs of
// the same key (see HTTPClient), or the server refuses them.
func NewClient(key *Key, ts oauth2.TokenSource, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &oauth2.Transport{Source: ts, Base: &Transport{Key: key, Base: base}}}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Key == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errNoKey
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	origin := req.URL.Scheme + "://" + req.URL.Host
	sent, _ := t.nonces.Load(origin)
	nonce, _ := sent.(string)
	resp, err := t.send(base, req, nonce)
	if err != nil {
		return nil, err
	}
	fresh := t.remember(origin, resp, nonce)
	if fresh == "" || !askedForNonce(resp) || !rewindable(req) {
		return resp, nil
	}
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	// Once only: a server that refuses the nonce it just gave would
	// otherwise keep the client looping.
	if resp, err = t.send(base, retry, fresh); err != nil {
		return nil, err
	}
	t.remember(origin, resp, fresh)
	return resp, nil
}

// remember keeps the DPoP-Nonce of resp, an answer to a proof that
// carried sent, as origin's latest, and returns it if it is new.
func (t *Transport) remember(origin string, resp *http.Response, sent string) string {
	fresh := resp.Header.Get(NonceHeader)
	if fresh == "" || fresh == sent {
		return ""
	}
	t.nonces.Store(origin, fresh)
	return fresh
}

// rewindable reports whether req's body can be sent again.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// send sends req, which RoundTrip must not modify, with a fresh proof.
func (t *Transport) send(base http.RoundTripper, req *http.Request, nonce string) (*http.Response, error) {
	var token string
	if scheme, cred, err := authscheme.Parse(req.Header); err == nil && scheme == authscheme.DPoP {
		token = cred
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet // as net/http reads it
	}
	proof, err := t.Key.Proof(method, req.URL.String(), token, nonce)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Header.Set(Header, proof)
	return base.RoundTrip(out)
}

// askedForNonce reports whether resp is a use_dpop_nonce answer: a 401
// challenge from a resource server (RFC 9449 section 9) or a 400 error
// from an authorization server (section 8). A 400 body is read to tell,
// and put back for the caller.
func askedForNonce(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		for _, v := range resp.Header.Values("WWW-Authenticate") {
			if strings.Contains(v, `error="`+CodeUseNonce+`"`) {
				return true
			}
		}
	case http.StatusBadRequest:
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		if err != nil {
			return false
		}
		var e struct {
			Code string `json:"error"`
		}
		return json.Unmarshal(body, &e) == nil && e.Code == CodeUseNonce
	}
	return false
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

// errNoKey is returned for a Transport without a Key.
var errNoKey = errors.New("dpop: Transport.Key is nil")
