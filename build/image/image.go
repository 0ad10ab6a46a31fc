package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image is; the Dockerfile at the repository's root says the same
// and image_test.go checks that it does.
const (
	// binaryPath is the entrypoint: the static binary alone on an empty base.
	binaryPath = "/portcullis"
	// dataDir is the volume, owned by the server's user, for SQLite
	// (storage: sqlite:///data/portcullis.db).
	dataDir = "/data"
	// configPath is where the default command reads the config; mount it.
	configPath = "/etc/portcullis/portcullis.yaml"
	// uid and gid run the server as non-root. 65532 is distroless's
	// "nonroot", so volumes prepared for those images fit this one.
	uid, gid = 65532, 65532
)

var (
	user       = fmt.Sprintf("%d:%d", uid, gid)
	entrypoint = []string{binaryPath}
	command    = []string{"serve", "--config", configPath}
	// ports are listen's and ops_listen's usual ports (the README's
	// production example); the config must bind them on 0.0.0.0.
	ports = []string{"8080/tcp", "9090/tcp"}
)

// epoch dates every file in the layer, so the same binary gives the same
// layer digest: the image is as reproducible as the binary.
var epoch = time.Unix(0, 0).UTC()

// build returns the image for platform holding the binary read from bin,
// labelled with version and commit.
func build(bin []byte, platform v1.Platform, version, commit string) (v1.Image, error) {
	fs, err := rootfs(bin)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(fs)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{
		CreatedBy: "build/image: " + binaryPath + " and " + dataDir,
		Created:   v1.Time{Time: epoch},
	}})
	if err != nil {
		return nil, fmt.Errorf("image: append layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = platform.OS, platform.Architecture, platform.Variant
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = entrypoint
	cf.Config.Cmd = command
	cf.Config.User = user
	cf.Config.Volumes = map[string]struct{}{dataDir: {}}
	cf.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range ports {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":    "portcullis",
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": commit,
		"org.opencontainers.image.source":   "https://github.com/portcullis/portcullis",
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: set config: %w", err)
	}
	return img, nil
}

// rootfs is the layer's tar: the binary, owned by root so the server
// cannot replace it, and the data directory, owned by the server's user.
func rootfs(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Typeflag: tar.TypeReg, Name: binaryPath[1:], Mode: 0o755, Size: int64(len(bin))}, bin},
		{tar.Header{Typeflag: tar.TypeDir, Name: dataDir[1:] + "/", Mode: 0o755, Uid: uid, Gid: gid}, nil},
	} {
		e.hdr.ModTime, e.hdr.Format = epoch, tar.FormatPAX
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, fmt.Errorf("image: tar %s: %w", e.hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("image: tar %s: %w", e.hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image: tar: %w", err)
	}
	return buf.Bytes(), nil
}
