package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStoragePermissionErrors checks that a store this process may not
// write is reported with the file and the cause, not SQLite's result code.
// Run as root, which may write any file, the command runs as nobody.
func TestStoragePermissionErrors(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir, db string)
		args    []string
		want    string // after the folder's path
	}{
		{
			name: "write-ahead log not writable",
			prepare: func(t *testing.T, dir, db string) {
				chmod(t, db, 0o666)
				for _, f := range []string{db + "-wal", db + "-shm"} {
					if err := os.WriteFile(f, nil, 0o444); err != nil {
						t.Fatal(err)
					}
				}
			},
			args: []string{"users", "add", "--username", "ann", "--password-stdin"},
			want: "/p.db-wal: permission denied",
		},
		{
			name:    "database not writable",
			prepare: func(t *testing.T, dir, db string) { chmod(t, db, 0o444) },
			args:    []string{"users", "list"},
			want:    "/p.db: permission denied",
		},
		{
			name: "folder not writable and no database",
			prepare: func(t *testing.T, dir, db string) {
				for _, f := range []string{db, db + "-wal", db + "-shm"} {
					os.Remove(f)
				}
				chmod(t, dir, 0o555)
			},
			args: []string{"users", "list"},
			want: "/p.db: permission denied",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			// nobody must reach the binary, the file and the folder.
			chmod(t, root, 0o755)
			chmod(t, filepath.Dir(root), 0o755)
			bin := filepath.Join(root, "portcullis")
			copyFile(t, binary, bin)
			conf := filepath.Join(root, "p.yaml")
			if err := os.WriteFile(conf, []byte("issuer: http://127.0.0.1:8080\nstorage: sqlite://data/p.db\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(root, "data")
			db := filepath.Join(dir, "p.db")
			cli(t, nil, "users", "list", "--config", conf)
			chmod(t, dir, 0o755)
			tt.prepare(t, dir, db)
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			cmd := exec.Command(bin, append(tt.args, "--config", conf)...)
			cmd.Stdin = strings.NewReader("a long enough password\n")
			if os.Getuid() == 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("succeeded:\n%s", out)
			}
			if want := dir + tt.want; !strings.Contains(string(out), want) {
				t.Errorf("got %s, want the path and the cause: %q", out, want)
			}
			if strings.Contains(string(out), "readonly database") {
				t.Errorf("got SQLite's result code: %s", out)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
