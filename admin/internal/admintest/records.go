package admintest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// CreateUser adds a user through the API and returns it.
func (e *Env) CreateUser(t testing.TB, username string) registry.UserInfo {
	t.Helper()
	var u registry.UserInfo
	e.Must(t, Req{Method: "POST", Path: "users", Scope: registry.ScopeUsersWrite,
		Body: `{"username":"` + username + `","password":"correct horse battery","claims":{"email":"` + username + `@example.com"}}`},
		http.StatusCreated).Decode(t, &u)
	return u
}

// Grant stores a live grant of user at client, created at created.
func (e *Env) Grant(t testing.TB, id, user, client string, created time.Time) {
	t.Helper()
	err := e.AS.Store.CreateGrant(context.Background(), store.Grant{ID: id, UserID: user, ClientID: client,
		CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// Audit returns the stored audit events of type typ, newest first.
func (e *Env) Audit(t testing.TB, typ string) []store.AuditEvent {
	t.Helper()
	evs, err := e.AS.Store.ListAudit(context.Background(), store.AuditFilter{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
