package flow

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/connectors"
)

// TestCallback: the authorization response's checks, and what an error
// tells of what the browser brought.
func TestCallback(t *testing.T) {
	st := NewState(true)
	for _, tc := range []struct {
		name  string
		query url.Values
		ok    bool
	}{
		{"good", url.Values{"state": {st.State}, "code": {"c"}}, true},
		{"state differs", url.Values{"state": {st.State + "x"}, "code": {"c"}}, false},
		{"no state", url.Values{"code": {"c"}}, false},
		{"no code", url.Values{"state": {st.State}}, false},
		{"error response", url.Values{"state": {st.State}, "error": {"access_denied\r\nforged: line" + strings.Repeat("x", 500)}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := Callback(st, tc.query)
			if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, connectors.ErrRefused) {
				t.Fatalf("Callback = %q, %v; want ok %v or ErrRefused", code, err, tc.ok)
			}
			if err != nil && (strings.ContainsAny(err.Error(), "\r\n") || len(err.Error()) > 2*maxBound+100) {
				t.Errorf("error not bounded: %q", err)
			}
		})
	}
	if _, err := Callback(connectors.State{}, url.Values{"state": {""}, "code": {"c"}}); err == nil {
		t.Error("an empty state matched an empty state")
	}
}
