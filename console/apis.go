package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

func (c *Console) apiList(w http.ResponseWriter, r *http.Request, s *session) {
	p, err := c.api(s).APIs.Page(r.Context(), sdk.ListOptions{Limit: pageSize, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "apis.html", &view{Title: "APIs and scopes", Nav: "apis", Can: s.can(registry.ScopeAPIsWrite),
		Data: listPage[registry.APIInfo]{Items: p.Items, Next: p.NextCursor}})
}

func (c *Console) apiNew(w http.ResponseWriter, r *http.Request, s *session) {
	c.render(w, r, s, http.StatusOK, "apinew.html", &view{Title: "New API", Nav: "apis", Can: true, Form: url.Values{}})
}

// parseScopes reads the scopes textarea: one scope a line, its name (which
// has no space) then its description.
func parseScopes(text string) []registry.Scope {
	out := []registry.Scope{}
	for _, l := range lines(text) {
		name, desc, _ := strings.Cut(l, " ")
		out = append(out, registry.Scope{Name: strings.TrimSpace(name), Description: strings.TrimSpace(desc)})
	}
	return out
}

// scopesText is scopes as the textarea shows them.
func scopesText(scopes []registry.Scope) string {
	var b strings.Builder
	for _, sc := range scopes {
		b.WriteString(sc.Name)
		if sc.Description != "" {
			b.WriteString(" " + sc.Description)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (c *Console) apiCreate(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	api := registry.API{Identifier: strings.TrimSpace(f.Get("identifier")), Name: strings.TrimSpace(f.Get("name")), Scopes: parseScopes(f.Get("scopes"))}
	created, err := c.api(s).APIs.Create(r.Context(), api)
	if errs, ok := formErrors(err); ok {
		c.render(w, r, s, http.StatusBadRequest, "apinew.html", &view{Title: "New API", Nav: "apis", Can: true, Form: f, Errors: errs})
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"api?"+url.Values{"id": {created.Value.Identifier}}.Encode(), flash{Message: "API " + created.Value.Identifier + " created."})
}

// apiPage is the data of api.html.
type apiPage struct {
	API        registry.APIInfo
	ScopesText string
}

func (c *Console) apiShow(w http.ResponseWriter, r *http.Request, s *session) {
	api, err := c.api(s).APIs.Get(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.renderAPI(w, r, s, http.StatusOK, api.Value, nil, scopesText(api.Value.Scopes))
}

// renderAPI renders an API's page, its scopes form holding text and errs.
func (c *Console) renderAPI(w http.ResponseWriter, r *http.Request, s *session, status int, api registry.APIInfo, errs map[string]string, text string) {
	c.render(w, r, s, status, "api.html", &view{Title: "API " + api.Identifier, Nav: "apis",
		Can: s.can(registry.ScopeAPIsWrite) && api.Source == registry.SourceStore, Errors: errs, Data: apiPage{API: api, ScopesText: text}})
}

func (c *Console) apiScopes(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PostForm.Get("id")
	cl := c.api(s)
	_, err := cl.APIs.Update(r.Context(), id, sdk.Patch{"scopes": parseScopes(r.PostForm.Get("scopes"))}, "")
	if errs, ok := formErrors(err); ok {
		api, gerr := cl.APIs.Get(r.Context(), id)
		if gerr != nil {
			c.apiFailed(w, r, gerr)
			return
		}
		c.renderAPI(w, r, s, http.StatusBadRequest, api.Value, errs, r.PostForm.Get("scopes"))
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"api?"+url.Values{"id": {id}}.Encode(), flash{Message: "Scopes of " + id + " saved."})
}

func (c *Console) apiConfirmDelete(w http.ResponseWriter, r *http.Request, s *session) {
	api, err := c.api(s).APIs.Get(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	id := api.Value.Identifier
	c.render(w, r, s, http.StatusOK, "confirm.html", &view{Title: "Delete API " + id, Nav: "apis", Can: true,
		Data: confirm{What: "the API " + id, Consequence: "Its scopes can no longer be granted, and tokens for it are no longer issued.",
			Action: c.base + "api/delete", Hidden: map[string]string{"id": id}, Back: c.base + "api?" + url.Values{"id": {id}}.Encode()}})
}

func (c *Console) apiDelete(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PostForm.Get("id")
	if err := c.api(s).APIs.Delete(r.Context(), id, ""); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"apis", flash{Message: "API " + id + " deleted."})
}
