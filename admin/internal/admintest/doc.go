// Package admintest is the test environment of the management API and
// dynamic registration: both mounted on a real authorization server, and
// a conformance transport that checks every exchange of their tests
// against the OpenAPI document (admin/openapi.json), with the shorthand
// of admin's and admin/people's tests (req.go, records.go). Only tests
// import it.
package admintest
