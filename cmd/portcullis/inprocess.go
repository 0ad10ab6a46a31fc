package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/netip"

	"github.com/portcullis/portcullis/internal/clientaddr"
)

// inProcess is an http.RoundTripper that serves requests with a handler
// in this process: the management API's guard reads discovery, keys and
// revocations from the authorization server beside it without a network
// hop, so it works whatever the listener's address and whatever proxies
// stand in front of the issuer. A request made for a browser's request
// (the console's) comes from the browser's address (withClientAddr);
// any other from 127.0.0.1.
type inProcess struct{ h http.Handler }

// RoundTrip serves req with the handler and returns its answer.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	if a, ok := req.Context().Value(clientAddrKey{}).(netip.Addr); ok {
		in.RemoteAddr = netip.AddrPortFrom(a, 0).String()
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	w := &bufferedResponse{header: http.Header{}}
	t.h.ServeHTTP(w, in)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status: http.StatusText(w.status), StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

// bufferedResponse is an http.ResponseWriter that keeps the answer.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// clientAddrKey is the context key of the address of the browser a
// request is served for.
type clientAddrKey struct{}

// withClientAddr serves next with the client's address (behind trusted,
// as the authorization server decides it) in the request's context, where
// inProcess finds it when the handler calls the server in process with
// that context: the management API then audits the person's address, not
// 127.0.0.1. Headers cannot forge it: the in-process request carries none
// of the browser's.
func withClientAddr(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := clientaddr.Of(r, trusted); a.IsValid() {
			r = r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, a))
		}
		next.ServeHTTP(w, r)
	})
}
