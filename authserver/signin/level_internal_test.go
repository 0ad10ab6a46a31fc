package signin

import (
	"testing"

	"github.com/portcullis/portcullis/store"
)

// TestSessionLevel: a session's class is its ACR when it is one of ours
// (an upstream Portcullis's mfa), else its methods' (an upstream's acr of
// another vocabulary, a session from before acr was stored).
func TestSessionLevel(t *testing.T) {
	for _, tt := range []struct {
		name string
		sess store.Session
		want string
	}{
		{"local password", store.Session{AMR: []string{"pwd"}, ACR: "sfa"}, "sfa"},
		{"upstream said mfa", store.Session{AMR: []string{"fed"}, ACR: "mfa"}, "mfa"},
		{"upstream said phr", store.Session{AMR: []string{"fed"}, ACR: "phr"}, "phr"},
		{"upstream's own vocabulary", store.Session{AMR: []string{"fed"}, ACR: "urn:example:loa:high"}, "sfa"},
		{"no acr stored, two factors", store.Session{AMR: []string{"pwd", "otp", "mfa"}}, "mfa"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := sessionLevel(tt.sess); got != tt.want {
				t.Errorf("sessionLevel = %q, want %q", got, tt.want)
			}
		})
	}
}
