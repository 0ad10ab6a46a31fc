package agent

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

const (
	// maxPendingLogins bounds the logins one browser may have in progress
	// at once, say in several tabs; starting one more forgets the oldest.
	maxPendingLogins = 4
	// loginTTL is how long a login may take, from /login/start to
	// /login/end.
	loginTTL = 10 * time.Minute
)

// pendingLogin is an authorization request this browser started and has
// not finished: what /login/end needs to check its response and redeem its
// code. Short JSON names keep the login cookie small.
type pendingLogin struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	Expires  int64  `json:"e"` // Unix seconds
}

// readPending returns the unexpired logins in progress in the login
// cookie, oldest first: none without the cookie, ErrInvalidCookie when it
// does not decrypt, ErrDuplicateCookie with two of them.
func (a *Agent) readPending(r *http.Request) ([]pendingLogin, error) {
	_, v, err := a.reader.jar.read(r, a.login)
	if errors.Is(err, ErrNoCookie) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var all []pendingLogin
	if err := json.Unmarshal(v, &all); err != nil {
		// Only the agent writes this plaintext; it cannot be garbled
		// unless a key is shared with something else.
		return nil, ErrInvalidCookie
	}
	now := time.Now().Unix()
	live := all[:0]
	for _, p := range all {
		if p.Expires > now {
			live = append(live, p)
		}
	}
	return live, nil
}

// writePending stores the logins in progress, the newest
// maxPendingLogins of them, or deletes the cookie when there are none.
func (a *Agent) writePending(w http.ResponseWriter, pending []pendingLogin) {
	if len(pending) == 0 {
		a.reader.jar.clear(w, a.login)
		return
	}
	pending = pending[max(0, len(pending)-maxPendingLogins):]
	// Marshalling strings and integers cannot fail.
	v, _ := json.Marshal(pending)
	// The cookie is used alone, so it needs no login ID.
	a.reader.jar.set(w, a.login, loginID{}, v, int(loginTTL.Seconds()))
}
