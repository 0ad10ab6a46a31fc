package admin

import (
	_ "embed"
	"net/http"

	"github.com/portcullis/portcullis/config"
)

// openAPIDoc is the OpenAPI 3.1 document of the management API. Tests
// validate every request and answer the suite sends against it, so it
// cannot drift from the handlers.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return openAPIDoc }

// openAPI serves the document; reading it needs no token, like discovery.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDoc)
}

// fieldErrors is config.FieldErrors.
var fieldErrors = config.FieldErrors
