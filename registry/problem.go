package registry

// Problem is an RFC 9457 problem details object: the body of every error
// the management API answers with (application/problem+json), as the
// server writes it and the SDK reads it.
type Problem struct {
	// Type is a URI naming the kind of problem, such as
	// https://portcullis.dev/problems/invalid-request.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists each bad value of a request body, naming its field
	// as the JSON (and the YAML file) spells it.
	Errors []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is one bad value: Field is its key as the JSON and the YAML
// file spell it ("redirect_uris[0]"), empty for the whole object.
type FieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}
