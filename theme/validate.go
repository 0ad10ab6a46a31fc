package theme

import (
	"fmt"
	"net/url"
	"strings"
)

// Problem is one thing wrong with a Branding: the key under branding: at
// fault, and what is wrong with it, in words an operator can act on.
type Problem struct {
	Field, Message string
}

// maxURLLength bounds logo and support URLs: they are written into every
// page.
const maxURLLength = 2048

// Validate checks b without touching the file system (New reads the logo
// file) and returns every problem; none is nil.
func (b Branding) Validate() []Problem {
	var ps []Problem
	add := func(field, msg string) { ps = append(ps, Problem{field, msg}) }
	if len(b.Name) > 100 {
		add("name", "must have at most 100 characters")
	}
	if b.LogoURL != "" && b.LogoFile != "" {
		add("logo_url", "and logo_file cannot both be set: choose one logo")
	}
	if b.LogoURL != "" {
		if err := CheckImageURL(b.LogoURL); err != nil {
			add("logo_url", err.Error())
		}
	}
	if b.LogoFile != "" && logoType(b.LogoFile) == "" {
		add("logo_file", "must be a .png, .svg or .webp file")
	}
	if b.PrimaryColor != "" {
		if c, err := ParseColor(b.PrimaryColor); err != nil {
			add("primary_color", err.Error())
		} else if r := Contrast(c, white); r < MinContrast {
			add("primary_color", fmt.Sprintf("%s has a contrast of %.2f:1 with white button text; WCAG AA needs %.1f:1: choose a darker colour", b.PrimaryColor, r, MinContrast))
		}
	}
	if b.SupportURL != "" {
		u, err := url.Parse(b.SupportURL)
		switch {
		case err != nil || len(b.SupportURL) > maxURLLength:
			add("support_url", fmt.Sprintf("must be an https or mailto URL of at most %d characters", maxURLLength))
		case u.Scheme == "https" && u.Host != "", u.Scheme == "mailto" && u.Opaque != "":
		default:
			add("support_url", "must be an https URL (https://help.example.com) or a mailto address (mailto:help@example.com)")
		}
	}
	return ps
}

// CheckImageURL checks a URL a page shows an image from: a logo_url, a
// client's logo_uri (RFC 7591 section 2). It must be https, so that the
// page stays secure and the image cannot be altered on the way, and at
// most 2048 characters.
func CheckImageURL(s string) error {
	if len(s) > maxURLLength {
		return fmt.Errorf("must have at most %d characters", maxURLLength)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("must be an absolute https URL without credentials")
	}
	return nil
}
