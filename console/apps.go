package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// pageSize is how many rows a list page shows.
const pageSize = 50

// listPage is the data of a list: its rows and the cursor of the next
// page, if there is one.
type listPage[T any] struct {
	Items []T
	Next  string
	Query string
}

func (c *Console) appList(w http.ResponseWriter, r *http.Request, s *session) {
	p, err := c.api(s).Clients.Page(r.Context(), sdk.ListOptions{Limit: pageSize, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "apps.html", &view{Title: "Applications", Nav: "apps", Can: s.can(registry.ScopeClientsWrite),
		Data: listPage[registry.ClientInfo]{Items: p.Items, Next: p.NextCursor}})
}

// appForm is the data of the create form: the kinds, and the one chosen.
type appForm struct {
	Kinds []appKind
	Kind  *appKind
}

func (c *Console) appNew(w http.ResponseWriter, r *http.Request, s *session) {
	c.appFormPage(w, r, s, http.StatusOK, r.URL.Query().Get("kind"), url.Values{}, nil)
}

// appFormPage renders the create form for the kind named kind (the kind
// chooser when there is none), filled with form and its errors.
func (c *Console) appFormPage(w http.ResponseWriter, r *http.Request, s *session, status int, kind string, form url.Values, errs map[string]string) {
	d := appForm{Kinds: appKinds}
	if k, ok := kindOf(kind); ok {
		d.Kind = &k
	}
	c.render(w, r, s, status, "appnew.html", &view{Title: "New application", Nav: "apps", Can: true, Form: form, Errors: errs, Data: d})
}

func (c *Console) appCreate(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	k, ok := kindOf(f.Get("kind"))
	if !ok {
		c.appFormPage(w, r, s, http.StatusBadRequest, "", f, map[string]string{"kind": "Choose the kind of application."})
		return
	}
	cl := registry.Client{ClientID: strings.TrimSpace(f.Get("client_id")), Name: strings.TrimSpace(f.Get("client_name")),
		TokenEndpointAuthMethod: k.AuthMethod, GrantTypes: k.GrantTypes, ApplicationType: k.ApplicationType,
		Scopes: strings.Fields(f.Get("scopes"))}
	if k.Redirects {
		cl.RedirectURIs = lines(f.Get("redirect_uris"))
		cl.PostLogoutRedirectURIs = lines(f.Get("post_logout_redirect_uris"))
	}
	created, err := c.api(s).Clients.Create(r.Context(), cl)
	if errs, ok := formErrors(err); ok {
		c.appFormPage(w, r, s, http.StatusBadRequest, k.ID, f, errs)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"apps/"+url.PathEscape(created.Value.ClientID),
		flash{Message: "Application " + created.Value.ClientID + " created.", Secret: created.Value.ClientSecret})
}

// lines are the non-empty lines of a textarea, trimmed.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (c *Console) appShow(w http.ResponseWriter, r *http.Request, s *session) {
	cl, err := c.api(s).Clients.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "app.html", &view{Title: "Application " + cl.Value.ClientID, Nav: "apps",
		Can: s.can(registry.ScopeClientsWrite) && cl.Value.Source == registry.SourceStore, Data: cl.Value})
}

func (c *Console) appRotate(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	sec, err := c.api(s).Clients.RotateSecret(r.Context(), id, registry.SecretRotation{})
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"apps/"+url.PathEscape(id), flash{Message: "The secret of " + id + " was replaced; the old one no longer works.", Secret: sec.ClientSecret})
}

func (c *Console) appConfirmDelete(w http.ResponseWriter, r *http.Request, s *session) {
	cl, err := c.api(s).Clients.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "confirm.html", &view{Title: "Delete application " + cl.Value.ClientID, Nav: "apps", Can: true,
		Data: confirm{What: "the application " + cl.Value.ClientID, Consequence: "Every token issued to it is revoked and it can no longer sign anyone in.",
			Action: c.base + "apps/" + url.PathEscape(cl.Value.ClientID) + "/delete", Back: c.base + "apps/" + url.PathEscape(cl.Value.ClientID)}})
}

// confirm is the data of the confirmation page of a deletion.
type confirm struct {
	What, Consequence string
	// Action is where the confirming form posts; Hidden its fields.
	Action string
	Hidden map[string]string
	Back   string
}

func (c *Console) appDelete(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if err := c.api(s).Clients.Delete(r.Context(), id, ""); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"apps", flash{Message: "Application " + id + " deleted."})
}
