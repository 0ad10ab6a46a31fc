package admin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// etagOf is the strong entity tag of a resource's representation: a
// digest of its JSON, so any change to what a read shows changes it, and
// instances agree on it without storing a version.
func etagOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// matches reports whether r's If-Match allows changing a resource whose
// current tag is etag (RFC 9110 section 13.1.1): no If-Match, "*", or a
// list holding etag. Weak tags never match.
func matches(r *http.Request, etag string) bool {
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

// ifMatch is the check a store deletion or update runs, inside its
// transaction, on the row as it is then: errStale unless r's If-Match
// allows the ETag of the row's representation (show). It is nil, checking
// nothing, when r has no If-Match, so an unconditional change stays one.
func ifMatch[T, R any](r *http.Request, show func(T) R) func(T) error {
	if len(r.Header.Values("If-Match")) == 0 {
		return nil
	}
	return func(v T) error {
		if !matches(r, etagOf(show(v))) {
			return errStale
		}
		return nil
	}
}

// errStale is returned from inside a store update whose If-Match no
// longer holds, so the check and the write are one transaction.
var errStale = staleError{}

type staleError struct{}

func (staleError) Error() string { return "the resource changed since it was read" }

// writeStale answers 412 for a stale If-Match.
func writeStale(w http.ResponseWriter) {
	writeProblem(w, http.StatusPreconditionFailed, problemPrecondition,
		"the resource changed since it was read (If-Match does not match its ETag): read it again and reapply the change")
}
