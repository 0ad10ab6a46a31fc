package admin

import (
	"encoding/json"
	"strings"
	"testing"
)

// A fragment's paths and components are folded into the document; a name
// defined twice is refused.
func TestAssemble(t *testing.T) {
	main := []byte(`{"openapi": "3.1.0", "paths": {"/a": {}}, "components": {"schemas": {"Problem": {}}}}`)
	for _, c := range []struct {
		name, frag, err string
	}{
		{"new path and schema", `{"paths": {"/b": {}}, "components": {"schemas": {"User": {}}, "parameters": {"Q": {}}}}`, ""},
		{"a path twice", `{"paths": {"/a": {}}}`, "paths: /a is defined twice"},
		{"a schema twice", `{"components": {"schemas": {"Problem": {}}}}`, "schemas: Problem is defined twice"},
		{"not JSON", `{`, "fragment 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := assemble(main, []byte(c.frag))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			var doc struct {
				Paths      map[string]any
				Components map[string]map[string]any
			}
			if err != nil || json.Unmarshal(out, &doc) != nil {
				t.Fatalf("assemble: %v", err)
			}
			if doc.Paths["/a"] == nil || doc.Paths["/b"] == nil || doc.Components["schemas"]["User"] == nil || doc.Components["parameters"]["Q"] == nil {
				t.Fatalf("assembled %s", out)
			}
		})
	}
}
