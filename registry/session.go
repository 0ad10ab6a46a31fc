package registry

import (
	"time"

	"github.com/portcullis/portcullis/store"
)

// Session is a user's sign-on session as the management API shows it:
// named by its sid (the claim of the ID tokens issued in it), never by
// anything that could stand in for its cookie.
type Session struct {
	SID     string `json:"sid"`
	Subject string `json:"sub"`
	// CreatedAt is when the user signed in (the session's auth_time).
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// AMR is how the user authenticated (the amr claim).
	AMR []string `json:"amr,omitempty"`
	// ClientIDs are the clients holding a live grant issued in the
	// session, sorted; empty when none does.
	ClientIDs []string `json:"client_ids"`
}

// SessionFromStore is s as the management API shows it, with the clients
// of its live grants.
func SessionFromStore(s store.Session, clientIDs []string) Session {
	if clientIDs == nil {
		clientIDs = []string{}
	}
	return Session{SID: s.SID, Subject: s.UserID, CreatedAt: s.AuthTime, ExpiresAt: s.ExpiresAt, AMR: s.AMR, ClientIDs: clientIDs}
}
