// Package admin owns the management API: the handlers under /admin/v1/
// that manage clients, APIs, users, grants, keys, and read the audit trail
// and usage records, its OpenAPI document (openapi.json), and dynamic
// client registration (RFC 7591 and 7592) at /register. The API is a
// resource server like any other: every request is checked by package
// guard against the audience {issuer}/admin/v1 and one admin:* scope per
// route. Its conventions (problem.go, body.go, etag.go, page.go) are
// shared by every route: RFC 9457 problem details naming the field,
// bounded bodies that refuse unknown fields, ETags with If-Match, and
// cursor pagination.
package admin
