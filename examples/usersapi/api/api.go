// Package api is the example users API, protected by package guard:
// GET /users needs the list:users scope, GET /users/{id} needs read:users,
// and DELETE /users/{id} needs write:users and a recent sign-in with a
// second factor (DeleteStepUp, RFC 9470). Command usersapi serves it
// alone; portcullis dev serves it beside the rest of the stack.
package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/portcullis/portcullis/guard"
)

// User is a user as the API returns it.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// SampleUsers is the data the example serves.
var SampleUsers = []User{
	{ID: "1", Name: "Ada Lovelace", Email: "ada@example.com"},
	{ID: "2", Name: "Alan Turing", Email: "alan@example.com"},
}

// DeleteStepUp is what deleting a user requires of the sign-in: a second
// factor (acr mfa, or phr for a passkey or security key) proved in the
// last five minutes, so that a stolen session or a password alone cannot
// delete anyone.
var DeleteStepUp = guard.StepUp{ACR: []string{"mfa", "phr"}, MaxAge: 5 * time.Minute}

// directory is the API's users: a copy of those it was given, which
// deletions change.
type directory struct {
	mu    sync.Mutex
	users []User
}

// Handler is the API: the guard authenticates every request, each route
// requires its scope, and deleting a user requires DeleteStepUp too. It
// serves a copy of users, which deletions change.
func Handler(g *guard.Guard, users []User) http.Handler {
	d := &directory{users: slices.Clone(users)}
	mux := http.NewServeMux()
	mux.Handle("GET /users", g.RequireScopes("list:users")(http.HandlerFunc(d.list)))
	mux.Handle("GET /users/{id}", g.RequireScopes("read:users")(http.HandlerFunc(d.read)))
	mux.Handle("DELETE /users/{id}", g.RequireScopes("write:users")(g.RequireAuthentication(DeleteStepUp)(http.HandlerFunc(d.delete))))
	return g.Middleware(mux)
}

func (d *directory) list(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	users := slices.Clone(d.users)
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, users)
}

func (d *directory) read(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	i := d.find(r.PathValue("id"))
	var u User
	if i >= 0 {
		u = d.users[i]
	}
	d.mu.Unlock()
	if i < 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	// The caller is there for auditing or per-user decisions.
	caller, _ := guard.CallerFromContext(r.Context())
	w.Header().Set("X-Served-To", caller.ClientID())
	writeJSON(w, http.StatusOK, u)
}

// delete removes a user; the guard has checked the sign-in.
func (d *directory) delete(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	i := d.find(r.PathValue("id"))
	if i >= 0 {
		d.users = slices.Delete(d.users, i, i+1)
	}
	d.mu.Unlock()
	if i < 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// find is the index of the user with id, -1 if none; d.mu is held.
func (d *directory) find(id string) int {
	return slices.IndexFunc(d.users, func(u User) bool { return u.ID == id })
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
