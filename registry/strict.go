package registry

import (
	"bytes"
	"encoding/json"
)

// strictJSON decodes b into v refusing unknown fields, as the management
// API does for whole bodies, so that a nested object cannot carry a
// misspelt field unnoticed either.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
