package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// csrfToken is the CSRF token of the session's forms: a MAC of its ID, so
// a page from another site cannot know it, and a new sign-in changes it.
func (c *Console) csrfToken(s *session) string {
	m := hmac.New(sha256.New, c.csrf)
	m.Write([]byte(s.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF says whether got is the session's CSRF token, compared in
// constant time.
func (c *Console) checkCSRF(s *session, got string) bool {
	return hmac.Equal([]byte(got), []byte(c.csrfToken(s)))
}
