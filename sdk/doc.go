// Package sdk is the Go client of Portcullis's management API
// (/admin/v1/): typed calls for clients, APIs, users, grants, keys, the
// audit trail and usage records, with the request and answer bodies of
// package registry, the same types the YAML file and the server use.
//
// The SDK holds no credentials. It sends every request through the
// *http.Client it is given, so that client decides how requests are
// authorized: golang.org/x/oauth2/clientcredentials for an admin client's
// tokens (with the resource registry.AdminAudience(issuer) and the admin:*
// scopes the calls need), and dpop.HTTPClient beneath it for DPoP-bound
// tokens.
//
// Errors the API answers with are *Error values carrying the HTTP status
// and the RFC 9457 problem details, field by field; IsNotFound,
// IsConflict, IsPreconditionFailed and the others branch on them. Lists
// are iter.Seq2 sequences that follow next_cursor page by page, beside a
// one-page call. Reads return the representation's ETag (Versioned), and
// updates and deletes take it back as If-Match, so that a change made on
// a stale read fails with 412 instead of undoing someone else's.
//
// Registrar is the client of dynamic client registration (RFC 7591 and
// RFC 7592, /register): it authorizes its calls itself, with an initial
// access token or a registration's access token, and its errors are
// *RegistrationError values carrying the OAuth error code.
package sdk
