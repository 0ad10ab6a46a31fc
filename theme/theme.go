package theme

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultName is the name pages show without branding.
const DefaultName = "Portcullis"

// DefaultColor is Portcullis blue, the accent without branding.
const DefaultColor = "#2457c5"

// maxLogoBytes bounds a logo file: it is held in memory and sent with
// pages.
const maxLogoBytes = 1 << 20

// Theme is a Branding validated and made ready to serve. Templates read its
// exported fields; its methods serve what the pages link to.
type Theme struct {
	// Name is the name pages show: the branding's, or DefaultName.
	Name string
	// LogoSrc is the src of the logo image: the branding's logo_url, or
	// {issuer}/static/logo when the logo is a file. Empty means no logo.
	LogoSrc string
	// SupportURL is where people get help; empty means nowhere.
	SupportURL string
	// accent is the primary colour.
	accent Color
	// logo and logoType are the logo file's content and media type.
	logo     []byte
	logoType string
	// css and favicon are made once by New.
	css, favicon []byte
}

// New validates b and prepares its theme: the logo file, read from dir
// when relative, and the stylesheet variables and favicon, which follow
// from the primary colour. issuer is where the server answers, under which
// a logo file is served (ServeLogo at /static/logo). Its error lists every
// problem as "branding.FIELD: message".
func New(b Branding, dir, issuer string) (*Theme, error) {
	var errs []error
	for _, p := range b.Validate() {
		errs = append(errs, fmt.Errorf("branding.%s: %s", p.Field, p.Message))
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	t := &Theme{Name: cmp.Or(b.Name, DefaultName), LogoSrc: b.LogoURL, SupportURL: b.SupportURL}
	t.accent, _ = ParseColor(cmp.Or(b.PrimaryColor, DefaultColor)) // validated
	if b.LogoFile != "" {
		path := b.LogoFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		logo, err := readLogo(path)
		if err != nil {
			return nil, fmt.Errorf("branding.logo_file: %w", err)
		}
		t.logo, t.logoType, t.LogoSrc = logo, logoType(path), strings.TrimSuffix(issuer, "/")+"/static/logo"
	}
	t.css, t.favicon = variables(t.accent), favicon(t.accent)
	return t, nil
}

// Default is the theme without branding.
func Default() *Theme {
	t, err := New(Branding{}, "", "")
	if err != nil {
		panic(err) // the zero Branding is valid
	}
	return t
}

// logoType is the media type a logo file's name says it holds, or "" for
// a kind of file not accepted.
func logoType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".webp":
		return "image/webp"
	}
	return ""
}

// readLogo reads a logo file and checks that it holds what its name says,
// so that a misnamed file fails at start rather than as a broken image.
func readLogo(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read the logo: %w", err)
	}
	if fi.Size() > maxLogoBytes {
		return nil, fmt.Errorf("%s has %d bytes; a logo may have at most %d", path, fi.Size(), maxLogoBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the logo: %w", err)
	}
	ok := false
	switch logoType(path) {
	case "image/png":
		ok = bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n"))
	case "image/webp":
		ok = len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP"
	case "image/svg+xml":
		ok = bytes.Contains(data[:min(len(data), 4096)], []byte("<svg"))
	}
	if !ok {
		return nil, fmt.Errorf("%s is not the %s image its name says", path, logoType(path))
	}
	return data, nil
}
