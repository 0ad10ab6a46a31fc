// Package api is the example users API, protected by package guard:
// GET /users needs the list:users scope and GET /users/{id} needs
// read:users. Command usersapi serves it alone; portcullis dev serves it
// beside the rest of the stack.
package api

import (
	"encoding/json"
	"net/http"
	"slices"

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

// Handler is the API: the guard authenticates every request, and each
// route requires its scope.
func Handler(g *guard.Guard, users []User) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /users", g.RequireScopes("list:users")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, users)
	})))
	mux.Handle("GET /users/{id}", g.RequireScopes("read:users")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := slices.IndexFunc(users, func(u User) bool { return u.ID == r.PathValue("id") })
		if i < 0 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
			return
		}
		// The caller is there for auditing or per-user decisions.
		caller, _ := guard.CallerFromContext(r.Context())
		w.Header().Set("X-Served-To", caller.ClientID())
		writeJSON(w, http.StatusOK, users[i])
	})))
	return g.Middleware(mux)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
