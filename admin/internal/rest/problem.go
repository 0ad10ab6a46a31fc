package rest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/requestid"
	"github.com/portcullis/portcullis/store"
)

// problemBase prefixes the type URIs of the problems the API answers with
// (RFC 9457 section 3.1.1); each is documented in admin/openapi.json.
const problemBase = "https://portcullis.dev/problems/"

// Problem is the RFC 9457 problem details object every error of the
// management API is (registry.Problem, which the SDK reads).
type Problem = registry.Problem

// FieldProblem is one bad value of a request body.
type FieldProblem = registry.FieldProblem

// Problem types (Error.Slug). The slug is the last segment of the type
// URI.
const (
	ProblemInvalid      = "invalid-request"        // 400: a value breaks a rule
	ProblemMalformed    = "malformed-request"      // 400: not JSON, wrong types, unknown fields
	ProblemForbidden    = "forbidden"              // 403: the token may not do this
	ProblemNotFound     = "not-found"              // 404
	ProblemConflict     = "conflict"               // 409: exists, or defined in the file
	ProblemPrecondition = "precondition-failed"    // 412: stale If-Match
	ProblemTooLarge     = "request-too-large"      // 413
	ProblemMediaType    = "unsupported-media-type" // 415
	ProblemUnavailable  = "unavailable"            // 503: the store failed
)

// WriteProblem answers status with a problem of the given type.
func WriteProblem(w http.ResponseWriter, status int, slug, detail string, fields ...FieldProblem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: problemBase + slug, Title: http.StatusText(status), Status: status,
		Detail: detail, Errors: fields})
}

// Error is a problem decided inside a store transaction (an updater
// function), carried out of it as the error that aborts the change, and
// answered by the handler with Write. Dynamic registration answers the
// same error in its own dialect (RFC 7591 section 3.2.2).
type Error struct {
	Status       int
	Slug, Detail string
	Fields       []FieldProblem
}

func (e *Error) Error() string { return e.Detail }

// Write answers the problem.
func (e *Error) Write(w http.ResponseWriter) {
	WriteProblem(w, e.Status, e.Slug, e.Detail, e.Fields...)
}

// Invalid is the problem of a body that breaks the rules of the
// configuration (an error joining *config.FieldErrors): 400 naming each
// bad field.
func Invalid(err error) *Error {
	return &Error{Status: http.StatusBadRequest, Slug: ProblemInvalid,
		Detail: "the request has invalid values; see errors", Fields: FieldProblems(err)}
}

// Malformed is the problem of a body that is not the resource's JSON.
func Malformed(err error) *Error {
	return &Error{Status: http.StatusBadRequest, Slug: ProblemMalformed, Detail: err.Error()}
}

// FieldProblems turns a validation error of the configuration's rules
// into the problem's field list.
func FieldProblems(err error) []FieldProblem {
	var out []FieldProblem
	for _, fe := range config.FieldErrors(err) {
		out = append(out, FieldProblem{Field: fe.Field, Detail: fe.Message})
	}
	if len(out) == 0 {
		out = append(out, FieldProblem{Detail: strings.TrimSpace(err.Error())})
	}
	return out
}

// Failed answers a store failure: 503 for a fault the database may
// recover from, else 500, logged to log with the request ID and never
// echoed.
func Failed(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	log.ErrorContext(r.Context(), "management API: store failed", "path", r.URL.Path, "err", err,
		"request_id", requestid.From(r.Context()))
	var wf *store.WriteFault
	if errors.As(err, &wf) || errors.Is(err, context.DeadlineExceeded) {
		w.Header().Set("Retry-After", "1")
		WriteProblem(w, http.StatusServiceUnavailable, ProblemUnavailable, "the store is unavailable; retry shortly")
		return
	}
	WriteProblem(w, http.StatusInternalServerError, "internal", "the request failed; its request ID is in the server log")
}

// WriteFileDefined answers 409 for a change to something the
// configuration file defines: the file is the truth for it, and would undo
// the change at the next start.
func WriteFileDefined(w http.ResponseWriter, what string) {
	WriteProblem(w, http.StatusConflict, ProblemConflict,
		what+" is defined in the configuration file: change it there and restart (or remove it there to manage it here)")
}

// WriteChangeError answers the error of a change: a problem decided on
// the way (an *Error, inside a store update too), a stale If-Match, a
// vanished resource ("no "+what+" has this identifier"), or a store
// failure (Failed, logged to log).
func WriteChangeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, what string) {
	var pe *Error
	switch {
	case errors.As(err, &pe):
		pe.Write(w)
	case errors.Is(err, ErrStale):
		WriteStale(w)
	case errors.Is(err, store.ErrNotFound):
		WriteProblem(w, http.StatusNotFound, ProblemNotFound, "no "+what+" has this identifier")
	default:
		Failed(w, r, log, err)
	}
}
