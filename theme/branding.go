package theme

// Branding is how a deployment names and colours its pages: the sign-in,
// consent, logout and error pages and the console. The zero value is
// Portcullis's own look.
type Branding struct {
	// Name is the organisation's or product's name, shown in page titles
	// and headers. Empty means "Portcullis".
	Name string `yaml:"name"`
	// LogoURL is an https URL of a logo image shown above each page's
	// heading; LogoFile a PNG, SVG or WebP file served from the server
	// itself instead (relative to the configuration file). At most one;
	// empty means no logo.
	LogoURL  string `yaml:"logo_url"`
	LogoFile string `yaml:"logo_file"`
	// PrimaryColor is the accent of buttons and focus rings, #rgb or
	// #rrggbb; it must contrast with white text (WCAG AA, 4.5:1). Empty
	// means Portcullis blue.
	PrimaryColor string `yaml:"primary_color"`
	// SupportURL is where a person stuck on a page can get help (https or
	// mailto); error pages link to it. Empty means no link.
	SupportURL string `yaml:"support_url"`
}
