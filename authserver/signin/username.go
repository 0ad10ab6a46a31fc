package signin

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// typedUsername returns the audit fields that name the account a sign-in
// attempt typed: its sub and username if the account exists, else only a
// digest of the typed text. People type passwords into the username field,
// so text that names no account must not be kept.
func (s *Server) typedUsername(r *http.Request, username string) []any {
	if len(username) <= maxUsernameLength {
		if u, err := s.store.GetUserByUsername(r.Context(), username); err == nil {
			return []any{"sub", u.ID, "username", u.Username}
		}
	}
	return []any{"username_hash", s.usernameDigest(username)}
}

// usernameDigest stands for a typed username in the audit trail. Being a
// MAC keyed with the server secret, it still lets an operator group the
// attempts on one name, but cannot be reversed by guessing offline without
// the secret, as a plain hash of a short text could. Case is folded as the
// login throttle folds it.
func (s *Server) usernameDigest(username string) string {
	return base64.RawURLEncoding.EncodeToString(mac(s.keys.username, strings.ToLower(username)))
}
