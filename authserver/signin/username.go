package signin

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/portcullis/portcullis/store"
)

// typedUsername returns the audit fields that name the account a sign-in
// attempt typed: u's sub and username when the typed name found one (u's
// ID is set), else only a digest of the typed text. People type passwords
// into the username field, so text that names no account must not be kept.
func (s *Server) typedUsername(u store.User, username string) []any {
	if u.ID != "" {
		return []any{"sub", u.ID, "username", u.Username}
	}
	return []any{"username_hash", s.usernameDigest(username)}
}

// lookupTyped finds the account a typed username names, for attempts
// refused before the password check looked it up; the zero User if none.
func (s *Server) lookupTyped(r *http.Request, username string) store.User {
	if len(username) <= maxUsernameLength {
		if u, err := s.store.GetUserByUsername(r.Context(), username); err == nil {
			return u
		}
	}
	return store.User{}
}

// usernameDigest stands for a typed username in the audit trail. Being a
// MAC keyed with the server secret, it still lets an operator group the
// attempts on one name, but cannot be reversed by guessing offline without
// the secret, as a plain hash of a short text could. Case is folded as the
// login throttle folds it.
func (s *Server) usernameDigest(username string) string {
	return base64.RawURLEncoding.EncodeToString(mac(s.keys.username, strings.ToLower(username)))
}
