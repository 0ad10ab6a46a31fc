package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const (
	testVersion = "v0.0.0-imagetest"
	testCommit  = "0123456789abcdef"
)

// TestMain removes the release build the tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if release.dir != "" {
		os.RemoveAll(release.dir)
	}
	os.Exit(code)
}

// release is the image build/release would build on this machine, built
// once for the tests that run it.
var release struct {
	once sync.Once
	dir  string // holds the binary and dist/, the release's output
	img  v1.Image
	err  error
}

// releaseImage builds the image as build/release does, from a static binary
// for this machine's platform stamped like a release, and returns it read
// back from the docker tarball, with the directory build/image wrote.
func releaseImage(t *testing.T) (v1.Image, string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the image is a Linux image; this machine runs " + runtime.GOOS)
	}
	release.once.Do(func() { release.img, release.err = buildRelease() })
	if release.err != nil {
		t.Fatal(release.err)
	}
	return release.img, filepath.Join(release.dir, "dist")
}

func buildRelease() (v1.Image, error) {
	dir, err := os.MkdirTemp("", "portcullis-image-")
	if err != nil {
		return nil, err
	}
	release.dir = dir
	bin := filepath.Join(dir, "portcullis")
	pkg := "github.com/portcullis/portcullis/internal/buildinfo"
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags", fmt.Sprintf("-s -w -X %s.version=%s -X %s.commit=%s", pkg, testVersion, pkg, testCommit),
		"-o", bin, "../../cmd/portcullis")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build portcullis: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "dist")
	if err := run(out, testVersion, testCommit, []string{runtime.GOOS + "/" + runtime.GOARCH + "=" + bin}); err != nil {
		return nil, err
	}
	return tarball.ImageFromPath(filepath.Join(out, "portcullis-image-"+runtime.GOOS+"-"+runtime.GOARCH+".tar"), nil)
}

// TestImageRuns unpacks the release image and runs its entrypoint as its
// config says: as root the test chroots into the unpacked filesystem,
// switches to the image's user and starts in its working directory. It
// cannot check what only a container runtime does: the volume mount, port
// publishing, and isolation of network and pids.
func TestImageRuns(t *testing.T) {
	img, dist := releaseImage(t)
	checkLayout(t, filepath.Join(dist, "image"))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if plat := runtime.GOOS + "/" + runtime.GOARCH; cf.OS+"/"+cf.Architecture != plat {
		t.Errorf("image platform = %s/%s, want %s", cf.OS, cf.Architecture, plat)
	}
	root := unpack(t, img)

	t.Run("version", func(t *testing.T) {
		got := string(output(t, imageCommand(t, root, cf.Config, "version")))
		if want := fmt.Sprintf("portcullis %s (commit %s, %s)", testVersion, testCommit, runtime.Version()); !strings.HasPrefix(got, want) {
			t.Errorf("version printed %q, want %q", got, want)
		}
	})
	t.Run("serve", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("serve runs chrooted into the image as its user, which needs root")
		}
		port, opsPort := freePort(t), freePort(t)
		conf := fmt.Sprintf("issuer: http://127.0.0.1:%d\nlisten: 127.0.0.1:%d\nops_listen: 127.0.0.1:%d\nstorage: sqlite://"+dataDir+"/portcullis.db\n", port, port, opsPort)
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(configPath)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, configPath), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		start(t, "portcullis", imageCommand(t, root, cf.Config)) // the image's default command
		if status := waitReady(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)); status != http.StatusOK {
			t.Fatalf("/readyz answered %d, want 200", status)
		}
		metrics := string(get(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", opsPort)))
		want := fmt.Sprintf(`portcullis_build_info{commit=%q,go_version=%q,version=%q} 1`, testCommit, runtime.Version(), testVersion)
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
		// The database is on the volume, written by the image's user.
		fi, err := os.Stat(filepath.Join(root, dataDir, "portcullis.db"))
		if err != nil {
			t.Fatalf("no database on the volume: %v", err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid {
			t.Errorf("database owned by uid %d, want the image's user %d", st.Uid, uid)
		}
	})
}

// checkLayout checks that the OCI layout holds one index, named for the
// version, listing the image for this platform.
func checkLayout(t *testing.T, dir string) {
	t.Helper()
	lp, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := lp.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(top.Manifests) != 1 || top.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != testVersion {
		t.Fatalf("layout index.json = %+v, want one index named %s", top.Manifests, testVersion)
	}
	idx, err := lp.ImageIndex(top.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil || im.Manifests[0].Platform.Architecture != runtime.GOARCH {
		t.Fatalf("image index = %+v, want one manifest for %s", im.Manifests, runtime.GOARCH)
	}
}

// unpack writes the image's filesystem into a new directory, as a
// container's root, with the modes and, as root, the owners its layers
// give, and returns the directory.
func unpack(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, h.FileInfo().Mode().Perm())
		case tar.TypeReg:
			err = writeFile(path, tr, h.FileInfo().Mode().Perm())
		default:
			t.Fatalf("unexpected %q (type %c) in the image", h.Name, h.Typeflag)
		}
		if err == nil && os.Geteuid() == 0 {
			err = os.Lchown(path, h.Uid, h.Gid)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// imageCommand is the image's entrypoint with args, or with its default
// command when there are none. As root it runs chrooted into root as the
// image's user in its working directory (/ when it sets none); otherwise it runs the unpacked
// binary as is, which is enough for commands that touch no files.
func imageCommand(t *testing.T, root string, c v1.Config, args ...string) *exec.Cmd {
	t.Helper()
	if len(args) == 0 {
		args = c.Cmd
	}
	argv := append(append([]string{}, c.Entrypoint...), args...)
	if os.Geteuid() != 0 {
		return exec.Command(filepath.Join(root, argv[0]), argv[1:]...)
	}
	var u, g uint32
	if _, err := fmt.Sscanf(c.User, "%d:%d", &u, &g); err != nil {
		t.Fatalf("image user %q: want uid:gid", c.User)
	}
	dir := c.WorkingDir
	if dir == "" {
		dir = "/" // as a runtime does; else the process starts outside the chroot
	}
	// Env is never nil: a nil Env would pass on this process's environment.
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Env: append([]string{}, c.Env...), Dir: dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: u, Gid: g}}
	return cmd
}

func output(t *testing.T, cmd *exec.Cmd) []byte {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitReady polls url until it answers 200, or gives up after a while and
// returns the last status (0 when nothing answered).
func waitReady(url string) int {
	status := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if status = resp.StatusCode; status == http.StatusOK {
			break
		}
	}
	return status
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
