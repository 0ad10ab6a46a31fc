//go:build unix

package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/asnobody"
)

// TestOpenPermissionDenied opens stores this user may not write: the
// error says "permission denied" and names the path, not a SQLite code.
// Root writes whatever the modes say, so as root the test runs itself
// again as user nobody.
func TestOpenPermissionDenied(t *testing.T) {
	if asnobody.Needed() {
		asnobody.Run(t) // TestPermissionErrorFromSQLite covers the wording where it cannot
		return
	}
	tests := []struct {
		name string
		// prepare makes the database at path before the folder dir turns
		// read-only, if readOnlyDir.
		prepare     func(t *testing.T, dir, path string)
		readOnlyDir bool
	}{
		{"read-only folder, new database", func(t *testing.T, dir, path string) {}, true},
		{"read-only folder, writable database", func(t *testing.T, dir, path string) {
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close() // removes the -wal and -shm files, which the folder cannot take again
		}, true},
		{"read-only database file", func(t *testing.T, dir, path string) {
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			os.Chmod(path, 0o400)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "p.db")
			tt.prepare(t, dir, path)
			if tt.readOnlyDir {
				os.Chmod(dir, 0o500)
				t.Cleanup(func() { os.Chmod(dir, 0o700) })
			}
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(msg, "permission denied") || !strings.Contains(msg, path) {
				t.Fatalf("Open = %v, want permission denied naming %s", err, path)
			}
			for _, raw := range []string{"(14)", "(1544)", "(8)", "unable to open database file", "readonly database"} {
				if strings.Contains(msg, raw) {
					t.Fatalf("Open = %v: a raw SQLite error", err)
				}
			}
		})
	}
}
