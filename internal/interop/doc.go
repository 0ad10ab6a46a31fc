// Package interop holds interoperability tests: independent client
// implementations run against the real authorization server. Its only
// code is tests; testdata/node pins oauth4webapi (npm), a DPoP client
// (RFC 9449) by another author, which .ci/run installs with npm ci.
package interop
