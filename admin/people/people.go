package people

import (
	"net/http"

	"github.com/portcullis/portcullis/admin/internal/change"
	"github.com/portcullis/portcullis/admin/internal/rest"
)

// Config is what the routes need from the management API that mounts
// them (admin.Server). Route and Change are required.
type Config struct {
	// Route registers h for pattern ("GET /admin/v1/users") behind the
	// guard that checks the access token and the scope the route
	// requires.
	Route func(pattern, scope string, h http.HandlerFunc)
	// Change records every change in the audit trail and makes the
	// cutoffs that revoke a user's tokens; its Store, Now, TokenTTL and
	// Log are the routes' too.
	Change *change.Changer
	// FileUsers are the usernames the configuration file defines: listed
	// with source "config", and refused changes (409). Nil means none.
	FileUsers []string
}

// server holds the routes' handlers.
type server struct {
	route     func(pattern, scope string, h http.HandlerFunc)
	ch        *change.Changer
	fileUsers []string
}

// Mount registers the routes of users, their sessions, links, factors
// and grants, and revocations with cfg.Route.
func Mount(cfg Config) {
	s := &server{route: cfg.Route, ch: cfg.Change, fileUsers: cfg.FileUsers}
	s.userRoutes()
	s.sessionRoutes()
	s.linkRoutes()
	s.factorRoutes()
	s.grantRoutes()
	s.revocationRoutes()
}

// failed answers a store failure (rest.Failed).
func (s *server) failed(w http.ResponseWriter, r *http.Request, err error) {
	rest.Failed(w, r, s.ch.Log, err)
}
