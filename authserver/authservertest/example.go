package authservertest

import (
	"log"
	"os"
	"testing"
)

// ExampleTB is the part of testing.TB that New uses, for Example
// functions, which have no *testing.T: a failure ends the process, and
// Stop runs the cleanups. Any other method panics on the nil testing.TB
// it embeds.
type ExampleTB struct {
	testing.TB
	cleanups []func()
}

// Helper does nothing.
func (*ExampleTB) Helper() {}

// Fatal logs args and exits.
func (*ExampleTB) Fatal(args ...any) { log.Fatal(args...) }

// Fatalf logs the message and exits.
func (*ExampleTB) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

// Cleanup registers f for Stop.
func (e *ExampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }

// TempDir returns a new folder that Stop removes.
func (e *ExampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "portcullis-example-")
	if err != nil {
		log.Fatal(err)
	}
	e.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Stop runs the cleanups, last registered first, as testing does.
func (e *ExampleTB) Stop() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}
