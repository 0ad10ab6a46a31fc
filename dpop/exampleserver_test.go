package dpop_test

import (
	"log"
	"os"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
)

// startIssuer runs the real authorization server of package authservertest
// for the examples, which have no *testing.T to hand it. It returns the
// server and what stops it.
func startIssuer() (*authservertest.Server, func()) {
	tb := &exampleTB{}
	return authservertest.New(tb), tb.cleanup
}

// exampleTB is the part of testing.TB that authservertest uses; calling
// any other method panics on the nil testing.TB it embeds.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (*exampleTB) Helper() {}

func (*exampleTB) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

func (e *exampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }

func (e *exampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "dpop-example-")
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
