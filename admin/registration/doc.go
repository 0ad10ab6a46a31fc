// Package registration serves dynamic client registration (RFC 7591) at
// /register and each registered client's configuration endpoint
// (RFC 7592) under it, on the issuer's listener. It is a protocol
// endpoint of its own, with its own credentials (initial access tokens,
// registration access tokens) and its own errors (OAuth error objects,
// not problems), but it changes clients exactly as the management API
// does: both validate, store and delete clients through
// admin/internal/change, and it is documented in the management API's
// OpenAPI document (admin/openapi.json).
package registration
