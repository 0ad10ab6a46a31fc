//go:build unix

package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/portcullis/portcullis/store"
)

// walHeaderSize is the size of one copy of the wal-index header; the -shm
// file starts with two copies of it
// (https://sqlite.org/walformat.html#the_wal_index_file_format).
const walHeaderSize = 48

// walIndex reads the header of the database's wal-index, which every
// connection of every process updates before its commit returns. Its WAL
// salts and last valid frame change with each commit (a commit appends
// frames; a restarted WAL gets new salts), so equal readings prove that
// nothing committed in between, at the cost of two memory reads instead
// of a query, which would cost more than the introspection it guards.
//
// conn is held for the store's life: while this process has a connection
// open, no other process can be the first to open the database, which is
// when SQLite truncates and rebuilds the -shm file under the mapping.
type walIndex struct {
	conn *sql.Conn
	mem  []byte
}

// openWALIndex maps path's -shm file read-only. It fails when the database
// is not in WAL mode.
func openWALIndex(ctx context.Context, db *sql.DB, path string) (*walIndex, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("wal index: %w", err)
	}
	w, err := mapWALIndex(ctx, conn, path)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("wal index: %w", err)
	}
	return w, nil
}

func mapWALIndex(ctx context.Context, conn *sql.Conn, path string) (*walIndex, error) {
	var mode string
	// A read opens the WAL and initialises the wal-index header.
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return nil, err
	}
	if mode != "wal" {
		return nil, fmt.Errorf("journal mode is %s, not wal", mode)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return nil, err
	}
	f, err := os.Open(path + "-shm")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if fi.Size() < 2*walHeaderSize {
		// Reading past the end of a mapped file is a SIGBUS, not an error.
		return nil, fmt.Errorf("%s-shm holds %d bytes, fewer than its header", path, fi.Size())
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 2*walHeaderSize, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &walIndex{conn: conn, mem: mem}, nil
}

// word reads the 32-bit word at off atomically: SQLite's writers change
// the header under our feet.
func (w *walIndex) word(off int) uint32 {
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&w.mem[off])))
}

// version reads the header as SQLite's own readers do: the first copy,
// then the second, which a writer updates in the opposite order, so equal
// copies are a consistent header. It returns the zero Version when the
// header is not initialised or writers keep it changing.
func (w *walIndex) version() store.Version {
	for range 100 {
		var a, b [walHeaderSize / 4]uint32
		for i := range a {
			a[i] = w.word(4 * i)
		}
		for i := range b {
			b[i] = w.word(walHeaderSize + 4*i)
		}
		// isInit is the first byte of word 3, in native byte order.
		var w3 [4]byte
		binary.NativeEndian.PutUint32(w3[:], a[3])
		if a == b && w3[0] != 0 {
			// Words 8 and 9 are the salts, 4 mxFrame, 2 iChange.
			return store.Version{uint64(a[8])<<32 | uint64(a[9]), uint64(a[2])<<32 | uint64(a[4])}
		}
		runtime.Gosched()
	}
	return store.Version{}
}

func (w *walIndex) close() error {
	err := syscall.Munmap(w.mem)
	if cerr := w.conn.Close(); err == nil {
		err = cerr
	}
	return err
}
