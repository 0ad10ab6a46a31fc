package signin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
)

// The forms whose CSRF tokens are told apart: a token of one form is
// refused by another.
const (
	formLogin   = "login"
	formConsent = "consent"
	formLogout  = "logout"
)

// macKeys are derived from the server secret (Config.Secret), one per
// purpose, so that a value computed for one purpose never passes for
// another.
type macKeys struct {
	csrf, username []byte
}

func newMACKeys(secret []byte) macKeys {
	return macKeys{
		csrf:     mac(secret, "portcullis signin csrf"),
		username: mac(secret, "portcullis audit username"),
	}
}

// mac is HMAC-SHA256 over parts, each prefixed with its length so that no
// two lists of parts encode alike.
func mac(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p))))
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// csrfToken is the anti-forgery token of a form: a MAC, keyed with the
// server secret, of the form's name, the browser cookie (which another site
// can neither read nor set) and the pending request's ID (empty for
// logout), so a token is good for one form of one request in one browser.
// Without the key, knowing or planting a browser cookie does not yield a
// token for it. It sets the browser cookie if there is none.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request, form, requestID string) string {
	return base64.RawURLEncoding.EncodeToString(mac(s.keys.csrf, form, s.browserID(w, r), requestID))
}

// checkCSRF verifies, in constant time, the CSRF token posted with a form.
func (s *Server) checkCSRF(r *http.Request, form, requestID string) bool {
	b, ok := s.cookies.browserCookieValue(r)
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf"))
	return err == nil && hmac.Equal(got, mac(s.keys.csrf, form, b, requestID))
}
