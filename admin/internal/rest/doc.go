// Package rest holds the HTTP conventions of the management API, which
// every route of admin and admin/people and, where it fits, dynamic
// registration (admin/registration) follow: RFC 9457 problem details
// naming the field, with the answers to a refused or failed change
// (problem.go), bounded bodies that refuse unknown fields and RFC 7396
// merge patches (body.go), ETags with If-Match checked inside the store's
// transaction (etag.go), cursor pagination and JSON answers (page.go),
// query parameters (params.go), and where the API is served (path.go).
package rest
