package sdk_test

import (
	"log"
	"os"
	"testing"
)

// startExample starts a test server for an Example, which has no
// testing.T; stop stops it.
func startExample() (s *server, stop func()) {
	tb := &exampleTB{}
	return startServer(tb), tb.cleanup
}

// exampleTB is the part of testing.TB that startServer and authservertest
// use; calling any other method panics on the nil testing.TB it embeds.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (*exampleTB) Helper() {}

func (*exampleTB) Fatal(args ...any) { log.Fatal(args...) }

func (*exampleTB) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

func (e *exampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }

func (e *exampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "sdk-example-")
	if err != nil {
		log.Fatal(err)
	}
	e.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// cleanup runs the cleanups, last registered first, as testing does.
func (e *exampleTB) cleanup() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}
