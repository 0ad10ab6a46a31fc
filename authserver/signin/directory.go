package signin

import (
	"log/slog"
	"net/http"

	"github.com/portcullis/portcullis/store"
)

// directoryLogin checks a username and password posted by the form of a
// directory connector (LDAP: connectors.Password), named by the form's
// connector field. It is throttled exactly like a Portcullis password,
// with the account key of the connector's username, so failures at the
// directory and here lock nothing of each other.
func (s *Server) directoryLogin(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, username, password string) {
	k, ok := s.connector(c, r.PostFormValue("connector"))
	if !ok || k.Password == nil {
		s.errorAt(w, r, http.StatusBadRequest, "Sign-in refused", "This way of signing in is not offered to this application.")
		return
	}
	ar.Connector = k.ID // the page shows this form again
	account, address, accounts := s.attemptKeys(r, k.ID+":"+username, username)
	if !s.tryThrottles(w, r, ar, c, address, accounts, username, func() []any {
		return []any{"connector", k.ID, "client_id", c.ID, "remote", r.RemoteAddr}
	}) {
		return
	}
	id, ok, err := k.Password.Login(r.Context(), username, password)
	if err != nil {
		// Not evaluated: neither count keeps the attempt.
		s.cfg.AddressThrottle.Refund(address)
		s.cfg.Throttle.Refund(accounts...)
		s.upstreamFailed(w, r, c, k, err)
		return
	}
	if !ok {
		s.fedFailed(r, slog.LevelWarn, c, k.ID, "wrong username or password", nil)
		s.renderLogin(w, r, ar, c, http.StatusOK, wrongPassword, username)
		return
	}
	// Only a sign-in clears the account's count: the right password of a
	// disabled (or unlinked) account stays counted, as a Portcullis
	// password's does.
	if s.federated(w, r, ar, c, k, id, username) {
		s.cfg.Throttle.Succeed(account)
		s.cfg.AddressThrottle.Refund(address)
	}
}
