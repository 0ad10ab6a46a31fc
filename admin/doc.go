// Package admin owns the management API: the handlers under /admin/v1/
// that manage clients, APIs, users, grants, keys, and read the audit trail
// and usage records, and its OpenAPI document (openapi.json), which also
// documents dynamic client registration (RFC 7591 and 7592), served at
// /register by admin/registration. The API is a resource server like any
// other: every request is checked by package guard against the audience
// {issuer}/admin/v1 and one admin:* scope per route. Its conventions
// (admin/internal/rest) are shared by every route: RFC 9457 problem
// details naming the field, bounded bodies that refuse unknown fields,
// ETags with If-Match, and cursor pagination; the changes to clients it
// shares with registration are admin/internal/change's. The routes of
// users, their sessions and grants, and revocations are admin/people's,
// mounted by Server with its guarded route.
package admin
