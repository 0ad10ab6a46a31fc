package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/portcullis/portcullis/internal/bodylimit"
)

// MaxBody bounds every request body: a client with a JWK Set is a few KiB.
const MaxBody = 64 << 10

// ReadJSON reads r's body into v: a JSON object of at most MaxBody bytes,
// Content-Type application/json (or, when patch is set,
// application/merge-patch+json), with no field v does not have and
// nothing after it. On failure it has answered with a problem and
// returns false.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any, patch bool) bool {
	raw, ok := ReadBody(w, r, patch)
	if !ok {
		return false
	}
	if err := DecodeStrict(raw, v); err != nil {
		WriteProblem(w, http.StatusBadRequest, ProblemMalformed, err.Error())
		return false
	}
	return true
}

// ReadBody checks the content type and reads the bounded body. On
// failure it has answered with a problem.
func ReadBody(w http.ResponseWriter, r *http.Request, patch bool) ([]byte, bool) {
	raw, pe := Body(w, r, patch)
	if pe != nil {
		pe.Write(w)
		return nil, false
	}
	return raw, true
}

// Body checks the content type and reads the bounded body, returning
// what is wrong with it as a problem for the caller to answer in its own
// dialect (dynamic registration answers OAuth errors).
func Body(w http.ResponseWriter, r *http.Request, patch bool) ([]byte, *Error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !(patch && mt == "application/merge-patch+json")) {
		want := "application/json"
		if patch {
			want = "application/merge-patch+json or application/json"
		}
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Slug: ProblemMediaType, Detail: "the body must be " + want}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if bodylimit.TooLarge(err) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Slug: ProblemTooLarge,
			Detail: fmt.Sprintf("the body must be at most %d bytes", MaxBody)}
	}
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Slug: ProblemMalformed, Detail: "the body could not be read"}
	}
	return raw, nil
}

// DecodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data. Its errors name the field and never echo a value.
func DecodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: must be %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return fmt.Errorf("the body is not a valid JSON object of this resource: %v", err)
	}
	if d.More() {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	default:
		return "a number"
	}
}

// MergePatch applies an RFC 7396 JSON merge patch to doc: members of patch
// replace doc's, null removes one, objects merge recursively.
func MergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, errors.New("a merge patch must be a JSON object")
	}
	return json.Marshal(merge(d, p))
}

func merge(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = merge(d[k], v)
		}
	}
	return d
}
