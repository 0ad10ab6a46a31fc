package main

// The image is built on an empty base, with no CA bundle: without one, a
// gateway, agent or guard whose issuer is a public https URL could never
// verify it. The fallback roots (Mozilla's, embedded in the binary) are
// used only where the system has none; a system bundle, or SSL_CERT_FILE,
// still wins.
import _ "golang.org/x/crypto/x509roots/fallback"
