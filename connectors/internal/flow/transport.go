package flow

import (
	"context"
	"errors"
	"net"
	"net/url"
)

// Transport reports whether err is a failure to reach the upstream or to
// read its answer in time (a refused connection, DNS, TLS, a timeout, a
// cancelled request), as opposed to an answer that was read.
func Transport(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
