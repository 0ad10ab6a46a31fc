package dpop_test

import "github.com/portcullis/portcullis/authserver/authservertest"

// startIssuer runs the real authorization server of package authservertest
// for the examples, which have no *testing.T to hand it. It returns the
// server and what stops it.
func startIssuer() (*authservertest.Server, func()) {
	tb := &authservertest.ExampleTB{}
	return authservertest.New(tb), tb.Stop
}
