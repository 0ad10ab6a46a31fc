package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesArePrivate: the database and its -wal and -shm files are
// created readable by the owner alone, whatever the umask lets through.
func TestFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write makes sure the WAL and its index exist.
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version) VALUES (-1)`); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range companions {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != fileMode {
			t.Errorf("%s has mode %04o, want %04o", path+suffix, fi.Mode().Perm(), fileMode)
		}
	}
	if err := CheckFileModes(path); err != nil {
		t.Fatalf("CheckFileModes on files Open made: %v", err)
	}
}

func TestCheckFileModes(t *testing.T) {
	tests := []struct {
		name  string
		modes map[string]os.FileMode // by suffix
		want  []string               // suffixes named, in order
	}{
		{"nothing yet", nil, nil},
		{"all private", map[string]os.FileMode{"": 0o600, "-wal": 0o600, "-shm": 0o600}, nil},
		{"owner execute bit is no exposure", map[string]os.FileMode{"": 0o700}, nil},
		{"world-readable database", map[string]os.FileMode{"": 0o644, "-wal": 0o600}, []string{""}},
		{"group-readable WAL", map[string]os.FileMode{"": 0o600, "-wal": 0o640, "-shm": 0o600}, []string{"-wal"}},
		{"group-writable index", map[string]os.FileMode{"": 0o600, "-shm": 0o620}, []string{"-shm"}},
		{"all three open", map[string]os.FileMode{"": 0o644, "-wal": 0o644, "-shm": 0o604}, []string{"", "-wal", "-shm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.db")
			for suffix, mode := range tt.modes {
				if err := os.WriteFile(path+suffix, nil, mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path+suffix, mode) // past the umask
			}
			err := CheckFileModes(path)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckFileModes = %v, want nil", err)
				}
				return
			}
			var named []string
			for _, suffix := range tt.want {
				named = append(named, path+suffix)
			}
			if err == nil || !strings.Contains(err.Error(), "chmod 600 "+strings.Join(named, " ")) {
				t.Fatalf("CheckFileModes = %v, want the chmod for %v", err, named)
			}
		})
	}
}

// TestPermissionErrorFromSQLite words SQLite's own error for a write to a
// database opened read-only. It is the mapping TestOpenPermissionDenied
// sees through a real unprivileged user; this one runs even where that
// cannot.
func TestPermissionErrorFromSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, raw := db.Exec(`INSERT INTO schema_migrations (version) VALUES (-1)`)
	if raw == nil {
		t.Fatal("write to a read-only database succeeded")
	}
	err = openError(path, raw)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), path) {
		t.Fatalf("openError(%v) = %v, want permission denied naming %s", raw, err, path)
	}
	if strings.Contains(err.Error(), "(8)") || strings.Contains(err.Error(), "readonly database") {
		t.Fatalf("openError keeps SQLite's wording: %v", err)
	}
	if other := errors.New("disk I/O error"); !errors.Is(openError(path, other), other) || errors.Is(openError(path, other), fs.ErrPermission) {
		t.Fatal("openError changed an unrelated error")
	}
}
