package signin

import "net/http"

// landingPage is the page at the server's root, for a person who typed
// the address: it says what the server is and where machines look.
type landingPage struct {
	Page
	// Issuer is the issuer identifier; Discovery the URL of the OpenID
	// Connect discovery document.
	Issuer, Discovery string
}

// handleLanding answers / with the landing page.
func (s *Server) handleLanding(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index.html", s.theme.Name, &landingPage{
		Issuer: s.cfg.Issuer, Discovery: s.cfg.Issuer + "/.well-known/openid-configuration",
	})
}
