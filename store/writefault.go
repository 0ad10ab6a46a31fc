package store

import "errors"

// ErrNotWritable matches every *WriteFault with errors.Is: the database
// refused a write for a reason that outlasts the request.
var ErrNotWritable = errors.New("store: not writable")

// Write fault causes, the words /readyz reports.
const (
	CauseDiskFull    = "disk full"
	CauseReadOnly    = "read-only"
	CauseLockTimeout = "lock timeout"
)

// WriteFault is a write the database refused because of its state rather
// than the request: the disk is full, the file or the server is read-only,
// or a lock was not granted in time. Retrying the same request on the same
// instance fails again until an operator (or time) fixes the cause, which is
// why readiness reports it.
type WriteFault struct {
	// Cause is one of CauseDiskFull, CauseReadOnly and CauseLockTimeout.
	Cause string
	// Err is the database's error.
	Err error
}

func (f *WriteFault) Error() string { return "store: not writable: " + f.Cause + ": " + f.Err.Error() }

// Unwrap returns the database's error.
func (f *WriteFault) Unwrap() error { return f.Err }

// Is makes errors.Is(err, ErrNotWritable) true for every WriteFault.
func (f *WriteFault) Is(target error) bool { return target == ErrNotWritable }
