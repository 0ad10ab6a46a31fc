package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// fileMode is the mode of the database file. SQLite creates the -wal and
// -shm files with the database file's mode, so creating the database file
// first with this mode keeps all three private to the owner: they hold
// password hashes, token digests and signing keys.
const fileMode = 0o600

// companions are the files SQLite keeps beside the database in WAL mode.
var companions = []string{"", "-wal", "-shm"}

// create makes the database file with fileMode if it does not exist. It
// also tells an unwritable file or folder apart early, with the path, as
// the operating system words it ("permission denied").
func create(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	return f.Close()
}

// CheckFileModes refuses a database whose file, -wal or -shm file group or
// others may read or write, naming each file and the chmod that fixes it.
// Files that do not exist yet pass: Open creates them private. On Windows,
// where Go reports synthetic modes, it checks nothing.
func CheckFileModes(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	var open, paths []string
	for _, suffix := range companions {
		p := path + suffix
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			open = append(open, fmt.Sprintf("%s (mode %04o)", p, perm))
			paths = append(paths, p)
		}
	}
	if len(open) == 0 {
		return nil
	}
	return fmt.Errorf("sqlite: group or others can access %s, and the database holds credentials and signing keys: run chmod 600 %s",
		strings.Join(open, ", "), strings.Join(paths, " "))
}

// openError wraps an error from opening the database at path. SQLite's
// errors for a file or folder this process may not write (SQLITE_READONLY
// and its extended codes, SQLITE_CANTOPEN, SQLITE_PERM) become "permission
// denied" with what to fix, wrapping fs.ErrPermission so callers can
// branch on it, instead of a SQLite code.
func openError(path string, err error) error {
	if se, ok := errors.AsType[*msqlite.Error](err); ok && notWritable(se.Code()) {
		if werr := writable(path); werr != nil {
			return fmt.Errorf("open sqlite %s: %w", path, werr)
		}
		return fmt.Errorf("open sqlite %s: %w: this user cannot write the file, or create files in %s (SQLite keeps -wal and -shm files beside the database)",
			path, fs.ErrPermission, filepath.Dir(path))
	}
	return fmt.Errorf("open sqlite %s: %w", path, err)
}

// notWritable reports whether a SQLite result code means a file or folder
// this process may not write: SQLITE_READONLY and its extended codes,
// SQLITE_CANTOPEN, SQLITE_PERM.
func notWritable(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return true
	}
	return false
}
