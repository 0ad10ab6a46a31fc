package signin

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// consentPage is the data of consent.html.
type consentPage struct {
	Page
	// ClientName names the application, LogoURI is its logo (https, or
	// empty); Username is the account it asks to act for; Request and
	// CSRF are posted back.
	ClientName, LogoURI, Username, Request, CSRF string
	// Scopes are what the application asks for, described.
	Scopes []scopeLine
}

type scopeLine struct{ Name, Description string }

// oidcScopeText describes the OpenID Connect scopes (OpenID Connect Core
// sections 5.4 and 11) to the user.
var oidcScopeText = map[string]string{
	"openid":         "know who you are",
	"profile":        "see your name and profile",
	"email":          "see your email address",
	"offline_access": "keep access while you are away",
}

func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, ar store.AuthRequest, c store.Client, u store.User) {
	p := &consentPage{ClientName: clientName(c), LogoURI: c.LogoURI, Username: u.Username, Request: ar.ID, CSRF: s.csrfToken(w, r, formConsent, ar.ID)}
	p.Base = base(r)
	apis := s.core.APIScopes(ar.Scopes)
	for i, sc := range ar.Scopes {
		desc := oidcScopeText[sc]
		switch a := apis[i]; {
		case desc != "" || a.API == "":
		case a.Description != "":
			desc = a.Description + " (" + a.API + ")"
		default:
			desc = "use " + a.API
		}
		p.Scopes = append(p.Scopes, scopeLine{Name: sc, Description: desc})
	}
	var logo []string
	if o := origin(c.LogoURI); o != "" {
		logo = append(logo, o)
	}
	s.render(w, http.StatusOK, "consent.html", "Allow access", p, logo...)
}

// handleConsent records the user's decision. Consent is remembered per user
// and client, so the page is not shown again for the same scopes.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	ar, c, ok := s.pendingRequest(w, r, formConsent)
	if !ok {
		return
	}
	sess := s.session(w, r)
	if s.needsLogin(ar, sess) || !s.allowsMethod(c, sess) {
		s.renderLogin(w, r, ar, c, http.StatusOK, "Please sign in again.", "")
		return
	}
	ctx := r.Context()
	u, err := users.Active(ctx, s.store, sess.UserID)
	if err != nil {
		s.renderLogin(w, r, ar, c, http.StatusOK, "Please sign in again.", "")
		return
	}
	// Declining needs no factor: it grants nothing, and the user must
	// not have to prove more to say no.
	if r.PostFormValue("decision") != "allow" {
		s.core.Event(r, slog.LevelInfo, audit.ConsentDenied, "sub", u.ID, "client_id", c.ID)
		s.finish(w, r, ar, url.Values{"error": {"access_denied"}, "error_description": {"the user denied the request"}})
		return
	}
	if s.factorStep(w, r, ar, c, u, *sess) {
		return
	}
	ar.Scopes = s.core.UserScopes(u, ar.Scopes) // as the page showed them
	granted, err := s.store.GetConsent(ctx, u.ID, c.ID)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	for _, sc := range ar.Scopes {
		if !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	if err := s.store.SaveConsent(ctx, u.ID, c.ID, granted); err != nil {
		s.pageFailure(w, r, err)
		return
	}
	s.issueCode(w, r, ar, c, u, *sess)
}
