package gateway

import (
	"encoding/json"
	"net/http"
)

// reply writes the gateway's own JSON error answers, shaped like the
// guard's RFC 6750 bodies so that clients parse one format.
func reply(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write error means the client went away; nothing can be done.
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
}
