//go:build unix

package sqlite

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/portcullis/portcullis/store"
)

// wOK is access(2)'s W_OK, which package syscall does not name.
const wOK = 0x2

// writable returns a read-only *store.WriteFault when this process may not
// write the database file or a companion of it that exists. SQLite opens
// such a file read-only without a word, so the connections opened from
// then on fail every write while older ones, opened writable, still
// succeed: a probe that only wrote would pass on an old connection and
// hide the fault. It asks access(2) instead of opening the file, since
// closing any descriptor of the file would drop the locks SQLite holds on
// it.
func writable(path string) error {
	for _, suffix := range companions {
		p := path + suffix
		err := syscall.Access(p, wOK)
		switch {
		case err == nil || suffix != "" && errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EROFS):
			return &store.WriteFault{Cause: store.CauseReadOnly, Err: &fs.PathError{Op: "cannot write", Path: p, Err: err}}
		default:
			return &fs.PathError{Op: "access", Path: p, Err: err}
		}
	}
	return nil
}
