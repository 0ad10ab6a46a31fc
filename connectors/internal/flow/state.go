package flow

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/connectors"
)

// NewState returns a fresh state for one sign-in: a random state parameter
// (RFC 6749 section 10.12), a PKCE code verifier (RFC 7636 section 4.1) and,
// when nonce is true, an OpenID Connect nonce (Core section 3.1.2.1). Each
// random value carries 256 bits.
func NewState(nonce bool) connectors.State {
	st := connectors.State{State: Random(), Verifier: oauth2.GenerateVerifier()}
	if nonce {
		st.Nonce = Random()
	}
	return st
}

// Random returns 32 random bytes, base64url without padding. crypto/rand
// never fails (it panics instead, since Go 1.24).
func Random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Callback checks the authorization response in query against st (RFC
// 6749 section 4.1.2) and returns its code. An error response (section
// 4.1.2.1) is refused with the upstream's error code, bounded; a state
// that is empty or differs from st's, compared in constant time, is
// refused as a possible CSRF or replay (section 10.12).
func Callback(st connectors.State, query url.Values) (string, error) {
	if code := query.Get("error"); code != "" {
		err := fmt.Errorf("%w: the upstream answered error %s", connectors.ErrRefused, Bound(code))
		if d := query.Get("error_description"); d != "" {
			err = fmt.Errorf("%w (%s)", err, Bound(d))
		}
		return "", err
	}
	got := query.Get("state")
	if st.State == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.State)) != 1 {
		return "", fmt.Errorf("%w: the state parameter does not match this sign-in's", connectors.ErrRefused)
	}
	code := query.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: the authorization response has no code", connectors.ErrRefused)
	}
	return code, nil
}

// maxBound is how much of an upstream's string an error quotes.
const maxBound = 120

// Bound quotes s for an error message: at most maxBound bytes, control
// and non-ASCII characters escaped, so that what an upstream or a browser
// sends cannot forge log lines or fill them.
func Bound(s string) string {
	if len(s) > maxBound {
		return fmt.Sprintf("%+q...", s[:maxBound])
	}
	return fmt.Sprintf("%+q", s)
}
