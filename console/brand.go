package console

import (
	"cmp"
	"regexp"
	"strings"

	"github.com/portcullis/portcullis/theme"
)

// defaultPrimary is Portcullis blue, which contrasts with white text.
const defaultPrimary = "#1d4ed8"

// hexColor is what may go into the style sheet as the primary colour;
// config validation refuses anything else, and this keeps a colour that
// slipped through from reaching CSS.
var hexColor = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// brand is theme.Branding as the console's layout uses it, defaults
// applied.
type brand struct {
	Name       string
	LogoURL    string
	SupportURL string
	primary    string
}

// newBrand applies the defaults to b. A logo_file is served by the
// sign-in pages' theme, not by the console, which shows only logo_url.
func newBrand(b theme.Branding) brand {
	out := brand{Name: cmp.Or(b.Name, "Portcullis"), SupportURL: b.SupportURL, primary: defaultPrimary}
	if strings.HasPrefix(b.LogoURL, "https://") {
		out.LogoURL = b.LogoURL
	}
	if hexColor.MatchString(b.PrimaryColor) {
		out.primary = b.PrimaryColor
	}
	return out
}

// css is the console's style sheet with the brand's colour.
func (b brand) css() []byte {
	return []byte(":root{--primary:" + b.primary + "}\n" + styleSheet)
}
