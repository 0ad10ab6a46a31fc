//go:build unix

package sqlite

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenPermissionDenied opens stores this user may not write: the
// error says "permission denied" and names the path, not a SQLite code.
// Root writes whatever the modes say, so as root the test runs itself
// again as user nobody.
func TestOpenPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t)
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

// runAsNobody runs the calling test in a copy of this test binary as user
// nobody, with a temporary folder nobody may write, and fails with its
// output if it fails.
func runAsNobody(t *testing.T) {
	t.Helper()
	dir, err := os.MkdirTemp("", "portcullis-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	os.Chmod(tmp, 0o777)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sqlite.test")
	if err := copyFile(exe, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Dir, cmd.Env = tmp, append(os.Environ(), "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("as user nobody:\n%s", out)
	case err != nil:
		t.Skipf("cannot run as user nobody (%v); TestPermissionErrorFromSQLite covers the wording", err)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("as user nobody the test did not run:\n%s", out)
	}
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
