package admin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/portcullis/portcullis/store"
)

// problemBase prefixes the type URIs of the problems the API answers with
// (RFC 9457 section 3.1.1); each is documented in openapi.json.
const problemBase = "https://portcullis.dev/problems/"

// Problem is an RFC 9457 problem details object, the body of every error
// the management API answers with (application/problem+json).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists each bad value of a request body, naming its field
	// as the JSON (and the YAML file) spells it.
	Errors []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is one bad value: Field is its key ("redirect_uris[0]"),
// empty for the whole object.
type FieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem types. The slug is the last segment of the type URI.
const (
	problemInvalid      = "invalid-request"        // 400: a value breaks a rule
	problemMalformed    = "malformed-request"      // 400: not JSON, wrong types, unknown fields
	problemForbidden    = "forbidden"              // 403: the token may not do this
	problemNotFound     = "not-found"              // 404
	problemConflict     = "conflict"               // 409: exists, or defined in the file
	problemPrecondition = "precondition-failed"    // 412: stale If-Match
	problemTooLarge     = "request-too-large"      // 413
	problemMediaType    = "unsupported-media-type" // 415
	problemUnavailable  = "unavailable"            // 503: the store failed
)

// writeProblem answers status with a problem of the given type.
func writeProblem(w http.ResponseWriter, status int, slug, detail string, fields ...FieldProblem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: problemBase + slug, Title: http.StatusText(status), Status: status,
		Detail: detail, Errors: fields})
}

// problemError is a problem decided inside a store transaction (an
// updater function), carried out of it as the error that aborts the
// change, and answered by the handler with write.
type problemError struct {
	status       int
	slug, detail string
	fields       []FieldProblem
}

func (e *problemError) Error() string { return e.detail }

// write answers the problem.
func (e *problemError) write(w http.ResponseWriter) {
	writeProblem(w, e.status, e.slug, e.detail, e.fields...)
}

// invalid is the problem of a body that breaks the rules of Rules: 400
// naming each bad field.
func invalid(err error) *problemError {
	return &problemError{status: http.StatusBadRequest, slug: problemInvalid,
		detail: "the request has invalid values; see errors", fields: fieldProblems(err)}
}

// malformed is the problem of a body that is not the resource's JSON.
func malformed(err error) *problemError {
	return &problemError{status: http.StatusBadRequest, slug: problemMalformed, detail: err.Error()}
}

// writeError answers the error of a change: a problem decided on the
// way (inside a store update, too), a stale If-Match, a vanished
// resource, or a store failure.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error, what string) {
	var pe *problemError
	switch {
	case errors.As(err, &pe):
		pe.write(w)
	case errors.Is(err, errStale):
		writeStale(w)
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, http.StatusNotFound, problemNotFound, "no "+what+" has this identifier")
	default:
		s.failed(w, r, err)
	}
}
