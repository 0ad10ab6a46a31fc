package authserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
)

// Suspensions tells which clients are suspended (usage.Suspensions keeps
// them, from the store, in memory): a suspended client that authenticates
// is answered invalid_client until the suspension ends.
type Suspensions interface {
	// SuspendedUntil reports whether clientID is suspended, and until
	// when. It runs on every client authentication: it must not wait.
	SuspendedUntil(clientID string) (until time.Time, suspended bool)
}

// refuseSuspended answers a client that authenticated but is suspended,
// telling it why and until when: it has proved who it is, so it may know.
// The check comes after authentication, so that nobody else learns a
// client is suspended.
func (s *Server) refuseSuspended(r *http.Request, c store.Client) *Error {
	if s.cfg.Suspensions == nil {
		return nil
	}
	until, ok := s.cfg.Suspensions.SuspendedUntil(c.ID)
	if !ok {
		return nil
	}
	u := until.UTC().Format(time.RFC3339)
	s.event(r, slog.LevelWarn, audit.SuspendedRefused, "client_id", c.ID, "until", u, "path", r.URL.Path)
	return errInvalidClient("the client is suspended until "+u+" (an anomaly response or an operator); an operator can end it with portcullis clients resume",
		r.Header.Get("Authorization") != "")
}
