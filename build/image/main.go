// Command image builds Portcullis's OCI image from release binaries without
// a container daemon: the static binary on an empty base, run as a non-root
// user, with /data as volume and working directory. build/release runs it;
// the Dockerfile at the repository's root builds the same image with Docker.
//
//	go run ./build/image -out dist -version v1.2.3 -commit abc123 \
//	    linux/amd64=dist/portcullis-linux-amd64 linux/arm64=dist/portcullis-linux-arm64
//
// It writes dist/image, an OCI image layout holding one multi-platform
// index (copy it with `skopeo copy oci:dist/image:v1.2.3 docker://…` or
// `crane push dist/image …`), and dist/portcullis-image-<os>-<arch>.tar per
// platform for `docker load -i` (tagged portcullis:<version>).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	out := flag.String("out", "dist", "directory to write the image layout and tarballs into")
	version := flag.String("version", "devel", "version, for the image's label and tag")
	commit := flag.String("commit", "unknown", "commit, for the image's label")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: image [flags] os/arch=binary...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *version, *commit, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run builds one image per os/arch=binary argument and writes them.
func run(out, version, commit string, args []string) error {
	var imgs []platformImage
	for _, a := range args {
		plat, path, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("image: %q: want os/arch=binary", a)
		}
		p, err := v1.ParsePlatform(plat)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return fmt.Errorf("image: %q: want os/arch=binary", a)
		}
		bin, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("image: read binary: %w", err)
		}
		img, err := build(bin, *p, version, commit)
		if err != nil {
			return err
		}
		imgs = append(imgs, platformImage{*p, img})
	}
	return write(out, version, imgs)
}

// platformImage is an image and the platform it runs on.
type platformImage struct {
	platform v1.Platform
	img      v1.Image
}

// write writes out/image, an OCI layout with the images in one index named
// version, and out/portcullis-image-<os>-<arch>.tar for each image.
func write(out, version string, imgs []platformImage) error {
	tag, err := name.NewTag("portcullis:" + tagSafe(version))
	if err != nil {
		return fmt.Errorf("image: tag: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("image: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range imgs {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.img, Descriptor: v1.Descriptor{Platform: &pi.platform}})
		file := filepath.Join(out, fmt.Sprintf("portcullis-image-%s-%s%s.tar", pi.platform.OS, pi.platform.Architecture, pi.platform.Variant))
		if err := tarball.WriteToFile(file, tag, pi.img); err != nil {
			return fmt.Errorf("image: write %s: %w", file, err)
		}
	}
	dir := filepath.Join(out, "image")
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("image: clear %s: %w", dir, err)
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("image: layout %s: %w", dir, err)
	}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tagSafe(version)})); err != nil {
		return fmt.Errorf("image: layout %s: %w", dir, err)
	}
	return nil
}

var notInTag = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// tagSafe turns a version (v1.2.3+dirty) into an image tag (v1.2.3-dirty).
func tagSafe(version string) string {
	return notInTag.ReplaceAllString(version, "-")
}
