package rest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// Page bounds: limit defaults to defaultLimit and may be at most
// maxLimit.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// Page is the body of every list answer: the items and, when there may be
// more, the cursor of the next page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// PageParams reads limit and cursor; the cursor is opaque to callers and
// decodes into cur. On failure it has answered with a problem.
func PageParams(w http.ResponseWriter, r *http.Request, cur any) (limit int, ok bool) {
	limit = defaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			WriteProblem(w, http.StatusBadRequest, ProblemInvalid, "limit must be a whole number from 1 to 500",
				FieldProblem{Field: "limit", Detail: "must be a whole number from 1 to 500"})
			return 0, false
		}
		limit = n
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || json.Unmarshal(b, cur) != nil {
			WriteProblem(w, http.StatusBadRequest, ProblemInvalid, "cursor is not one this API returned",
				FieldProblem{Field: "cursor", Detail: "must be a next_cursor this API returned"})
			return 0, false
		}
	}
	return limit, true
}

// EncodeCursor makes the opaque next_cursor of cur.
func EncodeCursor(cur any) string {
	b, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(b)
}

// WriteJSON answers status with v as JSON, and its ETag when etag is set.
func WriteJSON(w http.ResponseWriter, status int, v any, etag string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// keyCursor is where the next page of a list ordered by a string key
// starts: after the item with key After.
type keyCursor struct {
	After string `json:"a"`
}

// PageByKey answers a page of all, which is sorted by key: the items after
// the request's cursor, at most its limit, and the cursor of the next
// page. It is for the lists the server holds whole (clients, APIs): the
// configuration file's and the store's, merged.
func PageByKey[T any](w http.ResponseWriter, r *http.Request, all []T, key func(T) string) {
	var cur keyCursor
	limit, ok := PageParams(w, r, &cur)
	if !ok {
		return
	}
	start := 0
	if cur.After != "" {
		start, _ = slices.BinarySearchFunc(all, cur.After, func(t T, after string) int {
			if key(t) <= after {
				return -1
			}
			return 1
		})
	}
	out := Page[T]{Items: all[start:min(start+limit, len(all))]}
	if start+limit < len(all) {
		out.NextCursor = EncodeCursor(keyCursor{After: key(out.Items[len(out.Items)-1])})
	}
	WriteJSON(w, http.StatusOK, out, "")
}
