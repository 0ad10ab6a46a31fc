package oidc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/portcullis/portcullis/connectors/internal/flow"
)

// maxBody bounds what is read of any answer of the provider.
const maxBody = 1 << 20

// A probe learns whether the requests made with a context failed for
// want of the upstream (no answer, 5xx, 429, a body cut short). go-oidc
// folds its errors with %v, so their chain cannot tell an outage from a
// refused answer; the transport sees the exchange itself and tells.
type probe struct{ unavailable atomic.Bool }

type probeKey struct{}

// withProbe returns ctx carrying a new probe, and the probe.
func withProbe(ctx context.Context) (context.Context, *probe) {
	p := &probe{}
	return context.WithValue(ctx, probeKey{}, p), p
}

// probing is the connector's transport: it records each exchange's outcome
// in the probe of its request's context, if any, and bounds the body.
type probing struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t probing) RoundTrip(r *http.Request) (*http.Response, error) {
	p, _ := r.Context().Value(probeKey{}).(*probe)
	resp, err := t.base.RoundTrip(r)
	if p != nil {
		p.unavailable.Store(err != nil || flow.Unavailable(resp.StatusCode))
	}
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{body: resp.Body, left: maxBody, p: p}
	return resp, nil
}

// errTooLarge ends a body longer than maxBody: the answer is refused.
var errTooLarge = errors.New("oidc: the provider's answer is larger than 1 MiB")

// boundedBody stops reading after left bytes, and marks its probe
// unavailable when the connection fails mid-body.
type boundedBody struct {
	body io.ReadCloser
	left int64
	p    *probe
}

func (b *boundedBody) Read(buf []byte) (int, error) {
	if b.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(buf)) > b.left {
		buf = buf[:b.left+1]
	}
	n, err := b.body.Read(buf)
	b.left -= int64(n)
	if err != nil && err != io.EOF && b.p != nil {
		b.p.unavailable.Store(true)
	}
	if b.left < 0 {
		return n - 1, errTooLarge
	}
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }

// probingClient returns a copy of c whose transport is probing.
func probingClient(c *http.Client) *http.Client {
	c = flow.Client(c)
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cc := *c
	cc.Transport = probing{base: base}
	return &cc
}
