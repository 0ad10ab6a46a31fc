package signin

import (
	"slices"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// sessionLevel is the authentication class a session reached: its ACR
// when that is one of the classes this server speaks (mfa.ACRValues),
// else the class of its methods (mfa.Level of its AMR).
//
// A local session's ACR is always mfa.Level of its AMR. A federated one
// keeps the upstream's acr (the ID token's, OpenID Connect Core section
// 2): when the upstream speaks the same classes (another Portcullis, or
// one configured alike), its "mfa" or "phr" is the class of the sign-in,
// though the session's own AMR is only ["fed"]; an acr of another
// vocabulary (a URI of the upstream's own) stays in the session, for the
// audit trail, and says nothing here.
func sessionLevel(sess store.Session) string {
	if slices.Contains(mfa.ACRValues, sess.ACR) {
		return sess.ACR
	}
	return mfa.Level(sess.AMR)
}

// stronger is the stronger of two classes of mfa.ACRValues.
func stronger(a, b string) string {
	if meets(a, b) {
		return a
	}
	return b
}
