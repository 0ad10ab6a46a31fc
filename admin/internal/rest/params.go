package rest

import (
	"net/http"
	"strconv"
	"time"
)

// TimeParam reads the query parameter name as an RFC 3339 time; absent
// is the zero time. On failure it has answered 400 naming the parameter.
func TimeParam(w http.ResponseWriter, r *http.Request, name string) (time.Time, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		BadParam(w, name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		return time.Time{}, false
	}
	return t, true
}

// TimeRange reads since and until, refusing a range that ends before it
// starts.
func TimeRange(w http.ResponseWriter, r *http.Request) (since, until time.Time, ok bool) {
	if since, ok = TimeParam(w, r, "since"); !ok {
		return
	}
	if until, ok = TimeParam(w, r, "until"); !ok {
		return
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		BadParam(w, "until", "must be after since")
		return since, until, false
	}
	return since, until, true
}

// BoolParam reads the query parameter name as true or false; absent is
// false.
func BoolParam(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, true
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		BadParam(w, name, "must be true or false")
		return false, false
	}
	return b, true
}

// BadParam answers 400 for the query parameter name.
func BadParam(w http.ResponseWriter, name, detail string) {
	WriteProblem(w, http.StatusBadRequest, ProblemInvalid, name+" "+detail, FieldProblem{Field: name, Detail: detail})
}
