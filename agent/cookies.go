package agent

import (
	"net/http"
	"time"
)

// Cookie name suffixes, those of Curity's OAuth Agent.
const (
	accessSuffix  = "-at"
	refreshSuffix = "-auth"
	idSuffix      = "-id"
	loginSuffix   = "-login"
)

// Cookie name prefixes (RFC 6265bis section 4.1.3). Browsers accept a
// __Host- cookie only from a secure origin, with Secure, Path=/ and no
// Domain, so no other host, a sibling subdomain included, can set one
// (cookie tossing); a __Secure- cookie only from a secure origin, with
// Secure.
const (
	hostPrefix   = "__Host-"
	securePrefix = "__Secure-"
)

// cookie is one of the agent's cookies: its name and the path it is scoped
// to. Deleting a cookie must repeat its path, so both travel together.
// legacyName is the name the cookie had before the prefixes, read during
// the transition; empty when it has not changed.
type cookie struct{ name, path, legacyName string }

// newCookie names the cookie prefix+suffix at path. With Secure cookies it
// takes __Host- at the root path, which only that prefix protects from
// other hosts, and __Secure- elsewhere, which at least keeps plain http
// pages of the domain from setting it.
func newCookie(prefix, suffix, path string, secure bool) cookie {
	c := cookie{name: prefix + suffix, path: path}
	switch {
	case secure && path == "/":
		c.name, c.legacyName = hostPrefix+c.name, c.name
	case secure:
		c.name, c.legacyName = securePrefix+c.name, c.name
	}
	return c
}

// cookieJar writes the agent's cookies with the attributes they share:
// HttpOnly, so page scripts never see a token; SameSite=Strict, so no
// other site's request carries them; Secure unless every trusted origin is
// plain http on a loopback host; no Domain, so only the agent's host (and
// the gateway beside it) receives them.
type cookieJar struct {
	cipher *cookieCipher
	secure bool
	// legacyUntil ends the transition during which version 1 values, and
	// cookies under their legacy names, are read.
	legacyUntil time.Time
}

// legacy reports whether the transition is on.
func (j cookieJar) legacy() bool { return time.Now().Before(j.legacyUntil) }

// set seals value of login id into c. maxAge 0 makes a session cookie.
// During the transition it also deletes the copy under the legacy name,
// which would otherwise be read again once c is deleted.
func (j cookieJar) set(w http.ResponseWriter, c cookie, id loginID, value []byte, maxAge int) {
	j.write(w, c.name, c.path, j.cipher.seal(c.name, id, value), maxAge)
	if c.legacyName != "" && j.legacy() {
		j.write(w, c.legacyName, c.path, "", -1)
	}
}

// clear deletes c: the same name, path and (absent) domain it was set with,
// and during the transition its legacy copy.
func (j cookieJar) clear(w http.ResponseWriter, c cookie) {
	j.write(w, c.name, c.path, "", -1)
	if c.legacyName != "" && j.legacy() {
		j.write(w, c.legacyName, c.path, "", -1)
	}
}

func (j cookieJar) write(w http.ResponseWriter, name, path, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteStrictMode,
	})
}

// read decrypts cookie c of r and returns its login ID and value. The
// agent and the gateway read every cookie through it. Errors:
// ErrNoCookie when r has none; ErrDuplicateCookie when r has two of the
// name, since a browser sends a second copy only when another path or
// another host of the domain set it, and which one is the agent's cannot
// be told; ErrInvalidCookie when the copy was not sealed for c, or is a
// version 1 value it may not hold (see copies).
func (j cookieJar) read(r *http.Request, c cookie) (loginID, []byte, error) {
	name, values, v1 := j.copies(r, c)
	switch len(values) {
	case 0:
		return loginID{}, nil, ErrNoCookie
	case 1:
		return j.cipher.open(name, values[0], v1)
	default:
		return loginID{}, nil, ErrDuplicateCookie
	}
}

// openAll returns the value of every copy of c in r that decrypts, for
// a request whose copies read refuses as duplicates but which must still
// act on each (logout revokes every refresh token it is shown).
func (j cookieJar) openAll(r *http.Request, c cookie) [][]byte {
	name, values, v1 := j.copies(r, c)
	var out [][]byte
	for _, v := range values {
		if _, plain, err := j.cipher.open(name, v, v1); err == nil {
			out = append(out, plain)
		}
	}
	return out
}

// copies returns the values of cookie c in r and the name they were read
// under: c's name, or during the transition, when r has none, its legacy
// name. v1 reports whether a version 1 value may open: only during the
// transition and under the name without __Host- or __Secure-, the one
// version 1 values were written under. A prefixed name holds version 2
// values alone, which bind the cookie to its login; a version 1 value has
// no login ID, so accepted there it would pass any login's cookies (the
// zero ID matching the zero ID) and undo the prefix's protection.
func (j cookieJar) copies(r *http.Request, c cookie) (name string, values []string, v1 bool) {
	legacy := j.legacy()
	name = c.name
	copies := r.CookiesNamed(name)
	if len(copies) == 0 && c.legacyName != "" && legacy {
		name = c.legacyName
		copies = r.CookiesNamed(name)
	}
	for _, k := range copies {
		values = append(values, k.Value)
	}
	return name, values, legacy && (c.legacyName == "" || name == c.legacyName)
}

// fits reports whether a value sealed from n plaintext bytes, with the
// name, stays within what browsers keep; a token too long for a cookie
// would otherwise be dropped silently by the browser.
func fits(c cookie, n int) bool {
	return len(c.name)+1+base64Len(minSealed+n) <= maxCookieValue
}

// base64Len is the length of n bytes in unpadded base64.
func base64Len(n int) int { return (n*8 + 5) / 6 }
