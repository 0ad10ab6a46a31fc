package sdk_test

import "github.com/portcullis/portcullis/authserver/authservertest"

// startExample starts a test server for an Example, which has no
// testing.T; stop stops it.
func startExample() (s *server, stop func()) {
	tb := &authservertest.ExampleTB{}
	return startServer(tb), tb.Stop
}
