// Package theme owns the look that the sign-in pages and the admin console
// share: a deployment's branding (name, logo, primary colour, support
// link), validated once from the configuration, and what follows from it
// (the CSS custom properties, the favicon, the logo served beside the
// pages).
package theme
