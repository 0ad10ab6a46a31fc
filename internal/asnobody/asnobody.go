//go:build unix

// Package asnobody runs a test again as user nobody. Tests run as root in
// CI, and root writes whatever the file modes say, so a test of what a
// server does when the modes deny it access must run as someone else.
package asnobody

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Needed reports whether the process runs as root, where the caller
// should call Run instead of its test body.
func Needed() bool { return os.Geteuid() == 0 }

// Run runs the calling test in a copy of this test binary as user nobody,
// with a temporary folder nobody may write as TMPDIR and working
// directory, and fails with its output if it fails. It skips the test when
// the process cannot switch users.
func Run(t *testing.T) {
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
	// Mkdir applies the umask; nobody must enter dir and write tmp.
	os.Chmod(dir, 0o755)
	os.Chmod(tmp, 0o777)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(exe))
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
		t.Skipf("cannot run as user nobody: %v", err)
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
