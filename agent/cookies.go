package agent

import (
	"net/http"
)

// Cookie name suffixes, those of Curity's OAuth Agent, so that its gateway
// plugins find the access token under the same name.
const (
	accessSuffix  = "-at"
	refreshSuffix = "-auth"
	idSuffix      = "-id"
	loginSuffix   = "-login"
)

// cookie is one of the agent's cookies: its name and the path it is scoped
// to. Deleting a cookie must repeat its path, so both travel together.
type cookie struct{ name, path string }

// cookieJar writes the agent's cookies with the attributes they share:
// HttpOnly, so page scripts never see a token; SameSite=Strict, so no
// other site's request carries them; Secure unless every trusted origin is
// plain http on a loopback host; no Domain, so only the agent's host (and
// the gateway beside it) receives them.
type cookieJar struct {
	cipher *cookieCipher
	secure bool
}

// set encrypts value into c. maxAge 0 makes a session cookie.
func (j cookieJar) set(w http.ResponseWriter, c cookie, value []byte, maxAge int) {
	j.write(w, c, j.cipher.seal(value), maxAge)
}

// clear deletes c: the same name, path and (absent) domain it was set with.
func (j cookieJar) clear(w http.ResponseWriter, c cookie) { j.write(w, c, "", -1) }

func (j cookieJar) write(w http.ResponseWriter, c cookie, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: c.name, Value: value, Path: c.path, MaxAge: maxAge,
		HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteStrictMode,
	})
}

// read decrypts cookie c of r: ErrNoCookie when r has none, ErrInvalidCookie
// when none of the copies decrypts. A browser may hold several copies of a
// name (another path, or one planted by a sibling subdomain); the first
// that decrypts wins, so a planted copy cannot lock the user out.
func (j cookieJar) read(r *http.Request, c cookie) ([]byte, error) {
	copies := r.CookiesNamed(c.name)
	if len(copies) == 0 {
		return nil, ErrNoCookie
	}
	for _, k := range copies {
		if v, err := j.cipher.open(k.Value); err == nil {
			return v, nil
		}
	}
	return nil, ErrInvalidCookie
}

// fits reports whether a value sealed from n plaintext bytes, with the
// name, stays within what browsers keep; a token too long for a cookie
// would otherwise be dropped silently by the browser.
func fits(c cookie, n int) bool {
	return len(c.name)+1+base64Len(minSealed+n) <= maxCookieValue
}

// base64Len is the length of n bytes in unpadded base64.
func base64Len(n int) int { return (n*8 + 5) / 6 }
