package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

func (c *Console) userList(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderUsers(w, r, s, http.StatusOK, url.Values{}, nil)
}

// renderUsers renders the user list (the search in the query) with the
// create form holding form and errs.
func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, s *session, status int, form url.Values, errs map[string]string) {
	q := r.URL.Query()
	p, err := c.api(s).Users.Page(r.Context(), sdk.UserListOptions{Query: q.Get("q"), ListOptions: sdk.ListOptions{Limit: pageSize, Cursor: q.Get("cursor")}})
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.render(w, r, s, status, "users.html", &view{Title: "Users", Nav: "users", Can: s.can(registry.ScopeUsersWrite), Form: form, Errors: errs,
		Data: listPage[registry.UserInfo]{Items: p.Items, Next: p.NextCursor, Query: q.Get("q")}})
}

func (c *Console) userCreate(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	u := registry.User{Username: strings.TrimSpace(f.Get("username")), Password: f.Get("password"), Claims: map[string]any{}}
	for _, k := range []string{"name", "email"} {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			u.Claims[k] = v
		}
	}
	if role := f.Get("role"); role == registry.RoleAdmin || role == registry.RoleViewer {
		u.Roles = []string{role}
	}
	created, err := c.api(s).Users.Create(r.Context(), u)
	if errs, ok := formErrors(err); ok {
		f.Del("password") // never sent back into a page
		c.renderUsers(w, r, s, http.StatusBadRequest, f, errs)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"users/"+url.PathEscape(created.Value.ID), flash{Message: "User " + created.Value.Username + " created."})
}

// userPage is the data of user.html.
type userPage struct {
	User   registry.UserInfo
	Grants []registry.Grant
	// CanRevoke says whether the grants have revoke buttons.
	CanRevoke bool
	// Sessions are the user's live sign-on sessions.
	Sessions []registry.Session
	// CanEnd says whether the sessions have "End session" buttons: any
	// user's, those the configuration file defines included, as the
	// management API allows.
	CanEnd bool
}

func (c *Console) userShow(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderUser(w, r, s, http.StatusOK, nil)
}

// renderUser renders a user's page with the password form's errs.
func (c *Console) renderUser(w http.ResponseWriter, r *http.Request, s *session, status int, errs map[string]string) {
	cl := c.api(s)
	u, err := cl.Users.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	d := userPage{User: u.Value, CanRevoke: s.can(registry.ScopeGrantsWrite), CanEnd: s.can(registry.ScopeUsersWrite)}
	if d.Sessions, err = cl.Users.Sessions(r.Context(), u.Value.ID); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	if s.can(registry.ScopeGrantsRead) {
		p, err := cl.Grants.Page(r.Context(), sdk.GrantFilter{UserID: u.Value.ID, Live: true})
		if err != nil {
			c.apiFailed(w, r, err)
			return
		}
		d.Grants = p.Items
	}
	c.render(w, r, s, status, "user.html", &view{Title: "User " + u.Value.Username, Nav: "users",
		Can: s.can(registry.ScopeUsersWrite) && u.Value.Source == registry.SourceStore, Errors: errs, Data: d})
}

func (c *Console) userPassword(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	err := c.api(s).Users.SetPassword(r.Context(), id, r.PostForm.Get("password"))
	if errs, ok := formErrors(err); ok {
		if msg, whole := errs[""]; whole {
			errs["password"] = msg
		}
		c.renderUser(w, r, s, http.StatusBadRequest, errs)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"users/"+url.PathEscape(id), flash{Message: "Password reset."})
}

func (c *Console) userDisabled(w http.ResponseWriter, r *http.Request, s *session) {
	id, disable := r.PathValue("id"), r.PostForm.Get("disabled") == "true"
	if _, err := c.api(s).Users.SetDisabled(r.Context(), id, disable); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	msg := "User enabled."
	if disable {
		msg = "User disabled: their tokens are revoked and they cannot sign in."
	}
	c.done(w, r, c.base+"users/"+url.PathEscape(id), flash{Message: msg})
}

func (c *Console) grantRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.api(s).Grants.Revoke(r.Context(), r.PathValue("id"), ""); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	back := c.base + "users"
	if u := r.PostForm.Get("user"); u != "" {
		back += "/" + url.PathEscape(u)
	}
	c.done(w, r, back, flash{Message: "Grant revoked, with its tokens."})
}

func (c *Console) sessionEnd(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if err := c.api(s).Users.EndSession(r.Context(), id, r.PathValue("sid")); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"users/"+url.PathEscape(id), flash{Message: "Session ended, with the grants issued in it (offline ones kept)."})
}
