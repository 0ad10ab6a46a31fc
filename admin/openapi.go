package admin

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"sync"
)

// openAPIFiles are the OpenAPI 3.1 document of the management API,
// openapi.json, and fragments of it written beside each collection's
// handlers (openapi_*.json: {"paths": {...}, "components": {...}}).
//
//go:embed openapi*.json
var openAPIFiles embed.FS

// openAPIDoc is the whole document: openapi.json with every fragment
// folded in. Tests validate every request and answer the suite sends
// against it, so it cannot drift from the handlers. It is assembled at
// its first use, not at package init: decoding and encoding it takes
// about 9 ms and 1.4 MB that a server start need not spend.
var openAPIDoc = sync.OnceValue(func() []byte { return mustAssemble(openAPIFiles) })

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return openAPIDoc() }

// openAPI serves the document; reading it needs no token, like discovery.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDoc())
}

// mustAssemble assembles the embedded files; they are part of the build,
// so a broken one is a programming error found by every test.
func mustAssemble(files fs.FS) []byte {
	main, err := fs.ReadFile(files, "openapi.json")
	if err != nil {
		panic(err)
	}
	names, _ := fs.Glob(files, "openapi_*.json")
	slices.Sort(names)
	var frags [][]byte
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		if err != nil {
			panic(err)
		}
		frags = append(frags, b)
	}
	doc, err := assemble(main, frags...)
	if err != nil {
		panic(fmt.Sprintf("admin: openapi: %v", err))
	}
	return doc
}

// assemble folds the paths and components of fragments into the document
// main. A path or component defined twice is an error: one of them would
// be lost.
func assemble(main []byte, fragments ...[]byte) ([]byte, error) {
	if len(fragments) == 0 {
		return main, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(main, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	for i, raw := range fragments {
		var frag struct {
			Paths      map[string]any            `json:"paths"`
			Components map[string]map[string]any `json:"components"`
		}
		if err := json.Unmarshal(raw, &frag); err != nil {
			return nil, fmt.Errorf("fragment %d: %w", i, err)
		}
		if err := into(doc, "paths", frag.Paths); err != nil {
			return nil, err
		}
		for section, entries := range frag.Components {
			comps, _ := doc["components"].(map[string]any)
			if comps == nil {
				comps = map[string]any{}
				doc["components"] = comps
			}
			if err := into(comps, section, entries); err != nil {
				return nil, fmt.Errorf("components: %w", err)
			}
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// into adds entries to the object parent[key], refusing a name it holds.
func into(parent map[string]any, key string, entries map[string]any) error {
	m, _ := parent[key].(map[string]any)
	if m == nil {
		m = map[string]any{}
		parent[key] = m
	}
	for name, v := range entries {
		if _, ok := m[name]; ok {
			return fmt.Errorf("%s: %s is defined twice", key, name)
		}
		m[name] = v
	}
	return nil
}
