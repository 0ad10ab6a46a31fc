package signin

import "net/http"

// startSelfSignIn stands in for the signin helper's self sign-in until
// h-signin is merged. TODO(merge): delete this file.
func (s *Server) startSelfSignIn(w http.ResponseWriter, r *http.Request, returnTo string, prompt []string) {
	s.errorAt(w, r, http.StatusUnauthorized, "Sign in first", "Sign in to an application of this server, then open this page again.")
}
