package console

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Cookie names. The console's cookies are scoped to its path.
const (
	sessionCookie = "portcullis_console"
	loginCookie   = "portcullis_console_login"
	flashCookie   = "portcullis_console_flash"
)

const (
	// sessionTTL is the longest a console session lasts, refreshes
	// included: then the user signs in again.
	sessionTTL = 12 * time.Hour
	// refreshMargin is how close to its expiry an access token is
	// refreshed, so that a page's API calls do not meet an expired one.
	refreshMargin = time.Minute
	// loginTTL is how long a sign-in may take, from the console's redirect
	// to the authorization server back to its callback.
	loginTTL = 10 * time.Minute
	// flashTTL is how long a change's result waits for the page that
	// shows it, the next request: it may carry a client secret.
	flashTTL = time.Minute
)

// session is what the console keeps of a signed-in user, sealed in the
// session cookie: the browser holds it but cannot read or change it.
type session struct {
	// ID is random per sign-in; the CSRF tokens of its forms are MACs of
	// it.
	ID      string    `json:"i"`
	Access  string    `json:"a"`
	Refresh string    `json:"r,omitempty"`
	Expiry  time.Time `json:"e"`
	// Sub and Name are the user's, from the ID token.
	Sub  string `json:"s"`
	Name string `json:"n,omitempty"`
	// Scopes are the ones the access token carries.
	Scopes  []string  `json:"c"`
	Started time.Time `json:"t"`
}

// can says whether the session's token carries scope.
func (s *session) can(scope string) bool { return slices.Contains(s.Scopes, scope) }

// anyAdmin says whether the token carries any management API scope: the
// user holds a console role.
func (s *session) anyAdmin() bool {
	return slices.ContainsFunc(s.Scopes, func(sc string) bool { return strings.HasPrefix(sc, "admin:") })
}

// login is what the console keeps between its redirect to the
// authorization endpoint and the callback, in the login cookie.
type login struct {
	State    string    `json:"s"`
	Verifier string    `json:"v"`
	Next     string    `json:"n,omitempty"`
	Expiry   time.Time `json:"e"`
}

// flash is a change's result, shown once by the page the change redirects
// to (PRG): a message and, after a client's creation or rotation, its new
// secret, which must not travel in a URL.
type flash struct {
	Message string `json:"m"`
	Secret  string `json:"s,omitempty"`
	// Session is the ID of the session that made the change: only its
	// pages show the flash.
	Session string `json:"i"`
}

// randomID is 16 random bytes, base64url.
func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setCookie seals v into the cookie name for maxAge.
func (c *Console) setCookie(w http.ResponseWriter, name string, v any, maxAge time.Duration) error {
	val, err := c.seal.seal(name, v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: val, Path: c.base, MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// clearCookie deletes the cookie name.
func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: c.base, MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// readCookie opens the cookie name of r into v.
func (c *Console) readCookie(r *http.Request, name string, v any) error {
	ck, err := r.Cookie(name)
	if err != nil {
		return errBadCookie
	}
	return c.seal.open(name, ck.Value, v)
}

// takeFlash reads and clears the flash cookie: its message is shown once,
// and only to the session that made the change.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request, s *session) *flash {
	var f flash
	if c.readCookie(r, flashCookie, &f) != nil {
		return nil
	}
	c.clearCookie(w, flashCookie)
	if f.Session == "" || f.Session != s.ID {
		return nil
	}
	return &f
}

// role is how the user appears in the header: an administrator holds a
// management API write scope, a viewer only read scopes.
func (s *session) role() string {
	if slices.ContainsFunc(s.Scopes, func(sc string) bool { return strings.HasPrefix(sc, "admin:") && strings.HasSuffix(sc, ":write") }) {
		return "administrator"
	}
	return "viewer"
}
