package signin

import (
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// Connector is an upstream identity provider people may sign in with
// (package connectors, config's connectors[]).
type Connector struct {
	// ID names it in links, the connector parameter and clients'
	// connectors; Name is shown: "Continue with <Name>".
	ID, Name string
	// Redirect or Password is the connector: exactly one is set.
	Redirect connectors.Redirect
	Password connectors.Password
	// Rules are its account rules (users.Federate).
	Rules users.FederationRules
	// TrustACR takes the upstream's acr as the session's class (config's
	// trust_acr); else the class is mfa.Level of the session's amr.
	TrustACR bool
}

// connectorButton is one "Continue with" button of the login page.
type connectorButton struct{ ID, Name string }

// Offered returns the connectors of all that client c offers
// (store.Client.Connectors; empty means all), in configuration order. The
// authorization endpoint's connector parameter and the sign-in pages both
// decide by it.
func Offered(all []Connector, c store.Client) []Connector {
	var out []Connector
	for _, k := range all {
		if len(c.Connectors) == 0 || slices.Contains(c.Connectors, k.ID) {
			out = append(out, k)
		}
	}
	return out
}

// OfferedConnector returns the connector id of all if c offers it.
func OfferedConnector(all []Connector, c store.Client, id string) (Connector, bool) {
	for _, k := range Offered(all, c) {
		if k.ID == id {
			return k, true
		}
	}
	return Connector{}, false
}

// offered returns the connectors client c offers.
func (s *Server) offered(c store.Client) []Connector { return Offered(s.cfg.Connectors, c) }

// connector returns the connector id if c offers it.
func (s *Server) connector(c store.Client, id string) (Connector, bool) {
	return OfferedConnector(s.cfg.Connectors, c, id)
}

// loginChoices fills the login page's ways to sign in: the connector
// buttons and the password form, or only the form of the directory (an
// LDAP connector) the request chose.
func (s *Server) loginChoices(p *loginPage, ar store.AuthRequest, c store.Client) {
	if k, ok := s.connector(c, ar.Connector); ok && k.Password != nil {
		p.Directory = &connectorButton{ID: k.ID, Name: k.Name}
		return
	}
	p.PasswordForm = !s.cfg.PasswordDisabled
	for _, k := range s.offered(c) {
		p.Connectors = append(p.Connectors, connectorButton{ID: k.ID, Name: k.Name})
	}
}

// loginStep shows the login page, or, when the request chose a redirect
// connector (its connector parameter), sends the browser straight to it.
func (s *Server) loginStep(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client) {
	if k, ok := s.connector(c, ar.Connector); ok && k.Redirect != nil {
		s.startUpstream(w, r, ar, c, k)
		return
	}
	s.renderLogin(w, r, ar, c, http.StatusOK, "", ar.LoginHint)
}
