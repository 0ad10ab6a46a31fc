package authserver

import (
	"strings"
	"testing"
)

// FuzzParseScope checks that every accepted scope token is valid and that
// nothing panics.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", "a b", "a  a", "list:users read:users", "\x00", `a"b`, "é", strings.Repeat(" x", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := parseScope(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tok := range toks {
			if !ValidScopeToken(tok) || seen[tok] {
				t.Fatalf("parseScope(%q) gave %q", s, toks)
			}
			seen[tok] = true
		}
	})
}

// FuzzBasicCredentials checks the HTTP Basic decoder on arbitrary headers.
func FuzzBasicCredentials(f *testing.F) {
	for _, s := range []string{"Basic dGVzdDpzZWNyZXQ=", "Basic Og==", "Basic %%%", "basic dGVzdDpzZWNyZXQ=", "Bearer x", "Basic JXp6OiV6eg=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		id, _, err := basicCredentials(h)
		if err == nil && id == "" {
			t.Fatalf("accepted an empty client_id from %q", h)
		}
	})
}
