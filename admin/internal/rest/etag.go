package rest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// ETag is the strong entity tag of a resource's representation: a
// digest of its JSON, so any change to what a read shows changes it, and
// instances agree on it without storing a version.
func ETag(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// Matches reports whether r's If-Match allows changing a resource whose
// current tag is etag (RFC 9110 section 13.1.1): no If-Match, "*", or a
// list holding etag. Weak tags never match.
func Matches(r *http.Request, etag string) bool {
	h := r.Header.Values("If-Match")
	if len(h) == 0 {
		return true
	}
	for _, v := range h {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || t == etag {
				return true
			}
		}
	}
	return false
}

// IfMatch is the check a store deletion or update runs, inside its
// transaction, on the row as it is then: ErrStale unless r's If-Match
// allows the ETag of the row's representation (show). It is nil, checking
// nothing, when r has no If-Match, so an unconditional change stays one.
func IfMatch[T, R any](r *http.Request, show func(T) R) func(T) error {
	if len(r.Header.Values("If-Match")) == 0 {
		return nil
	}
	return func(v T) error {
		if !Matches(r, ETag(show(v))) {
			return ErrStale
		}
		return nil
	}
}

// ErrStale is returned from inside a store update whose If-Match no
// longer holds, so the check and the write are one transaction.
var ErrStale = staleError{}

type staleError struct{}

func (staleError) Error() string { return "the resource changed since it was read" }

// WriteStale answers 412 for a stale If-Match.
func WriteStale(w http.ResponseWriter) {
	WriteProblem(w, http.StatusPreconditionFailed, ProblemPrecondition,
		"the resource changed since it was read (If-Match does not match its ETag): read it again and reapply the change")
}
