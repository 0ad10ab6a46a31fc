package theme

import "fmt"

// darkCanvas is the page background of Chromium's dark colour scheme,
// against which the accent must stay visible as link and focus colour.
var darkCanvas = Color{0x12, 0x12, 0x12}

// variables are the CSS custom properties that follow from the accent:
//
//	--accent           buttons, focus rings, links (light scheme)
//	--accent-text      text on the accent (white; Validate ensures 4.5:1)
//	--accent-strong    hovered buttons: the accent darkened
//	--accent-on-dark   links and focus rings in the dark scheme: the
//	                   accent lightened until it reaches 4.5:1 there
//
// Stylesheets of the pages and the console use only these, so one colour
// in the configuration themes both.
func variables(accent Color) []byte {
	onDark := accent
	for i := 1; i <= 20 && Contrast(onDark, darkCanvas) < MinContrast; i++ {
		onDark = accent.mix(white, float64(i)/20)
	}
	return fmt.Appendf(nil, ":root {\n  --accent: %s;\n  --accent-text: #ffffff;\n  --accent-strong: %s;\n  --accent-on-dark: %s;\n}\n",
		accent, accent.mix(Color{}, 0.2), onDark)
}

// Variables is the stylesheet rule that sets the theme's custom
// properties on :root; a page's stylesheet starts with it.
func (t *Theme) Variables() []byte { return t.css }
