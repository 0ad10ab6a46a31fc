package admin_test

import (
	"testing"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/registry"
)

// The document is a valid OpenAPI 3.1 document that kin-openapi loads,
// with a security scheme for every admin scope and an operation ID on
// every operation.
func TestOpenAPIDocument(t *testing.T) {
	doc := admintest.LoadDocument(t, "")
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	flows := doc.Components.SecuritySchemes["oauth2"].Value.Flows.ClientCredentials
	for _, sc := range registry.AdminScopes {
		if _, ok := flows.Scopes[sc]; !ok {
			t.Errorf("the oauth2 scheme lacks %s", sc)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
	for _, name := range []string{"Problem", "FieldProblem", "Client", "ClientInfo", "API", "APIInfo", "Scope", "Duration"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("components.schemas lacks %s", name)
		}
	}
}
