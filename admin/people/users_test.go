package people_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/admin/internal/admintest"
	"github.com/portcullis/portcullis/audit"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/users"
)

const (
	usersR = registry.ScopeUsersRead
	usersW = registry.ScopeUsersWrite
)

// TestBUserLifecycle: create, read, search, page, patch, set the password
// and delete a user; the password never appears in an answer or the audit
// trail, and every change is audited naming the acting client.
func TestBUserLifecycle(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	const pw = "correct horse battery"
	r := e.Must(t, admintest.Req{Method: "POST", Path: "users", Scope: usersW,
		Body: `{"username":"ada","password":"` + pw + `","claims":{"name":"Ada","email":"Ada@Example.com"}}`}, http.StatusCreated)
	var ada registry.UserInfo
	r.Decode(t, &ada)
	if ada.ID == "" || ada.Username != "ada" || ada.Source != registry.SourceStore || ada.Disabled || ada.CreatedAt.IsZero() {
		t.Errorf("created %+v", ada)
	}
	if r.Header.Get("Location") != "/admin/v1/users/"+ada.ID || r.Header.Get("ETag") == "" {
		t.Errorf("Location %q, ETag %q", r.Header.Get("Location"), r.Header.Get("ETag"))
	}
	if strings.Contains(string(r.Body), "password") {
		t.Errorf("the answer holds the password: %s", r.Body)
	}
	stored, _ := e.AS.Store.GetUser(ctx, ada.ID)
	if ok, _ := users.VerifyPassword(stored.PasswordHash, pw); !ok {
		t.Error("the stored hash does not verify the password")
	}

	got := e.Must(t, admintest.Req{Method: "GET", Path: "users/" + ada.ID, Scope: usersR}, http.StatusOK)
	if got.Header.Get("ETag") != r.Header.Get("ETag") {
		t.Errorf("ETag of the read %q, of the create %q", got.Header.Get("ETag"), r.Header.Get("ETag"))
	}
	e.CreateUser(t, "grace")
	noPW := e.Must(t, admintest.Req{Method: "POST", Path: "users", Scope: usersW, Body: `{"username":"nopassword"}`}, http.StatusCreated)
	var np registry.UserInfo
	noPW.Decode(t, &np)
	if u, _ := e.AS.Store.GetUser(ctx, np.ID); u.PasswordHash != "" {
		t.Error("a user created without a password has a hash")
	}

	// Search by email, ignoring case; page through everyone.
	var found struct {
		Items      []registry.UserInfo `json:"items"`
		NextCursor string              `json:"next_cursor"`
	}
	e.Must(t, admintest.Req{Method: "GET", Path: "users?q=ADA%40example", Scope: usersR}, http.StatusOK).Decode(t, &found)
	if len(found.Items) != 1 || found.Items[0].ID != ada.ID || found.NextCursor != "" {
		t.Errorf("q=ADA@example found %+v", found)
	}
	var seen []string
	for cursor := ""; ; {
		found.NextCursor = ""
		e.Must(t, admintest.Req{Method: "GET", Path: "users?limit=2&cursor=" + cursor, Scope: usersR}, http.StatusOK).Decode(t, &found)
		for _, u := range found.Items {
			seen = append(seen, u.Username+"/"+u.Source)
		}
		if cursor = found.NextCursor; cursor == "" {
			break
		}
	}
	if want := []string{"ada/store", "demo/config", "grace/store", "nopassword/store"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("pages %v, want %v", seen, want)
	}

	// Patch claims and username with If-Match; a stale tag is refused.
	etag := got.Header.Get("ETag")
	p := e.Must(t, admintest.Req{Method: "PATCH", Path: "users/" + ada.ID, Scope: usersW, IfMatch: etag,
		ContentType: "application/merge-patch+json", Body: `{"username":"ada.l","claims":{"name":null,"given_name":"Ada"}}`}, http.StatusOK)
	var patched registry.UserInfo
	p.Decode(t, &patched)
	if patched.Username != "ada.l" || patched.Claims["name"] != nil || patched.Claims["given_name"] != "Ada" ||
		patched.Claims["email"] != "Ada@Example.com" {
		t.Errorf("patched %+v", patched)
	}
	e.Must(t, admintest.Req{Method: "PATCH", Path: "users/" + ada.ID, Scope: usersW, IfMatch: etag, Body: `{"claims":{}}`},
		http.StatusPreconditionFailed).Problem(t)
	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + ada.ID, Scope: usersW, IfMatch: etag}, http.StatusPreconditionFailed)

	// A new password revokes the user's grants.
	e.Grant(t, "g-ada", ada.ID, e.AS.WebClientID, time.Now().Add(-time.Minute))
	const pw2 = "another long passphrase"
	e.Must(t, admintest.Req{Method: "PUT", Path: "users/" + ada.ID + "/password", Scope: usersW, Body: `{"password":"` + pw2 + `"}`}, http.StatusNoContent)
	stored, _ = e.AS.Store.GetUser(ctx, ada.ID)
	if ok, _ := users.VerifyPassword(stored.PasswordHash, pw2); !ok {
		t.Error("the new password does not verify")
	}
	if g, _ := e.AS.Store.GetGrant(ctx, "g-ada"); g.RevokedAt.IsZero() {
		t.Error("setting the password left the user's grant live")
	}

	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + ada.ID, Scope: usersW, IfMatch: p.Header.Get("ETag")}, http.StatusNoContent)
	e.Must(t, admintest.Req{Method: "GET", Path: "users/" + ada.ID, Scope: usersR}, http.StatusNotFound).Problem(t)
	e.Must(t, admintest.Req{Method: "DELETE", Path: "users/" + ada.ID, Scope: usersW}, http.StatusNotFound)

	changes := e.Audit(t, audit.ConfigChanged)
	var kinds []string
	for _, ev := range changes {
		if ev.Detail["actor_client_id"] != "admin" {
			t.Errorf("event %s does not name the acting client: %v", ev.Detail["change"], ev.Detail)
		}
		kinds = append(kinds, fmt.Sprint(ev.Detail["change"]))
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), pw) || strings.Contains(string(b), pw2) {
			t.Errorf("audit event holds a password: %s", b)
		}
	}
	if want := "[user deleted password set user updated user added user added user added]"; fmt.Sprint(kinds) != want {
		t.Errorf("audited %v, want %s", kinds, want)
	}
}

// TestBUserValidation: each bad request is refused with the right status,
// naming the field.
func TestBUserValidation(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	u := e.CreateUser(t, "valid")
	e.CreateUser(t, "taken")
	demo, err := e.AS.Store.GetUserByUsername(context.Background(), e.AS.Username)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		req   admintest.Req
		want  int
		field string
	}{
		{"create without username", admintest.Req{Method: "POST", Path: "users", Body: `{"password":"long enough pw"}`}, 400, "username"},
		{"create with short password", admintest.Req{Method: "POST", Path: "users", Body: `{"username":"x","password":"short"}`}, 400, "password"},
		{"create with claims not an object", admintest.Req{Method: "POST", Path: "users", Body: `{"username":"x","claims":[1]}`}, 400, ""},
		{"create a taken username", admintest.Req{Method: "POST", Path: "users", Body: `{"username":"taken"}`}, 409, "username"},
		{"create the file's username", admintest.Req{Method: "POST", Path: "users", Body: `{"username":"DEMO"}`}, 409, ""},
		{"patch removing the username", admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Body: `{"username":null}`}, 400, "username"},
		{"patch to a taken username", admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Body: `{"username":"taken"}`}, 409, "username"},
		{"patch to the file's username", admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Body: `{"username":"demo"}`}, 409, "username"},
		{"patch disabled not a boolean", admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Body: `{"disabled":"yes"}`}, 400, ""},
		{"patch not an object", admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Body: `[1]`}, 400, ""},
		{"patch the id", admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Body: `{"id":"other"}`}, 400, ""},
		{"patch an unknown user", admintest.Req{Method: "PATCH", Path: "users/nobody", Body: `{"claims":{}}`}, 404, ""},
		{"password too short", admintest.Req{Method: "PUT", Path: "users/" + u.ID + "/password", Body: `{"password":"short"}`}, 400, "password"},
		{"password empty", admintest.Req{Method: "PUT", Path: "users/" + u.ID + "/password", Body: `{"password":""}`}, 400, "password"},
		{"password of an unknown user", admintest.Req{Method: "PUT", Path: "users/nobody/password", Body: `{"password":"long enough pw"}`}, 404, ""},
		{"patch the file's user", admintest.Req{Method: "PATCH", Path: "users/" + demo.ID, Body: `{"claims":{}}`}, 409, ""},
		{"disable the file's user", admintest.Req{Method: "PATCH", Path: "users/" + demo.ID, Body: `{"disabled":true}`}, 409, ""},
		{"delete the file's user", admintest.Req{Method: "DELETE", Path: "users/" + demo.ID}, 409, ""},
		{"password of the file's user", admintest.Req{Method: "PUT", Path: "users/" + demo.ID + "/password", Body: `{"password":"long enough pw"}`}, 409, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Scope = usersW
			p := e.Must(t, c.req, c.want).Problem(t)
			if c.field != "" && !admintest.Names(p, c.field) {
				t.Errorf("problem %+v does not name %s", p, c.field)
			}
		})
	}
	if got, _ := e.AS.Store.GetUser(context.Background(), demo.ID); got.Disabled {
		t.Error("the file's user was disabled")
	}
	var d registry.UserInfo
	e.Must(t, admintest.Req{Method: "GET", Path: "users/" + demo.ID, Scope: usersR}, http.StatusOK).Decode(t, &d)
	if d.Source != registry.SourceConfig {
		t.Errorf("the file's user has source %q", d.Source)
	}
}

// TestBUserDisable: PATCH disabled true does what `users disable` does:
// the user is disabled and their grants and tokens revoked; false lets
// them sign in again. Both are audited.
func TestBUserDisable(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	ctx := context.Background()
	u := e.CreateUser(t, "mallory")
	e.Grant(t, "g-m", u.ID, e.AS.WebClientID, time.Now().Add(-time.Minute))
	var got registry.UserInfo
	e.Must(t, admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Scope: usersW, Body: `{"disabled":true}`}, http.StatusOK).Decode(t, &got)
	if !got.Disabled {
		t.Error("the answer shows the user enabled")
	}
	if _, err := users.Active(ctx, e.AS.Store, u.ID); err != users.ErrDisabled {
		t.Errorf("Active: %v, want ErrDisabled", err)
	}
	if g, _ := e.AS.Store.GetGrant(ctx, "g-m"); g.RevokedAt.IsZero() {
		t.Error("disabling left the grant live")
	}
	nb, err := e.AS.Store.NotBefore(ctx, e.AS.WebClientID, u.ID)
	if err != nil || nb.IsZero() || nb.After(time.Now()) {
		t.Errorf("cutoff not before %v (%v): want one that has passed by the answer", nb, err)
	}
	dis := e.Audit(t, audit.UserDisabled)
	if len(dis) != 1 || dis[0].Subject != u.ID || dis[0].Detail["revoked_grants"] != float64(1) || dis[0].Detail["actor_client_id"] != "admin" {
		t.Errorf("user_disabled events %+v", dis)
	}

	e.Must(t, admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Scope: usersW, Body: `{"disabled":false}`}, http.StatusOK).Decode(t, &got)
	if got.Disabled {
		t.Error("the answer shows the user disabled")
	}
	if _, err := users.Active(ctx, e.AS.Store, u.ID); err != nil {
		t.Errorf("Active after enabling: %v", err)
	}
	// Enabling an enabled user changes nothing and is not audited again.
	e.Must(t, admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Scope: usersW, Body: `{"disabled":false}`}, http.StatusOK)
	if en := e.Audit(t, audit.UserEnabled); len(en) != 1 || en[0].Subject != u.ID {
		t.Errorf("user_enabled events %+v", en)
	}
}

// TestBUserConcurrentPatch: of 50 PATCHes of one user with the same
// If-Match, disabling, enabling and changing claims, exactly one wins and
// the others get 412; round after round.
func TestBUserConcurrentPatch(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	u := e.CreateUser(t, "contended")
	e.ScopedToken(t, usersW)
	etag := e.Must(t, admintest.Req{Method: "GET", Path: "users/" + u.ID, Scope: usersR}, http.StatusOK).Header.Get("ETag")
	for round := range 3 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		var winner string
		for i := range 50 {
			// Every patch changes the user (its own claim value): a patch
			// that changes nothing leaves the ETag as it was, and then
			// the next one with it rightly wins too.
			disabled := []string{`"disabled":true,`, `"disabled":false,`, ``}[i%3]
			body := fmt.Sprintf(`{%s"claims":{"n":%d}}`, disabled, round*100+i)
			wg.Go(func() {
				r := e.Send(t, admintest.Req{Method: "PATCH", Path: "users/" + u.ID, Scope: usersW, IfMatch: etag, Body: body})
				mu.Lock()
				defer mu.Unlock()
				statuses[r.Status]++
				if r.Status == http.StatusOK {
					winner = r.Header.Get("ETag")
				}
			})
		}
		wg.Wait()
		if statuses[http.StatusOK] != 1 || statuses[http.StatusPreconditionFailed] != 49 {
			t.Fatalf("round %d: statuses %v, want one 200 and 49 412", round, statuses)
		}
		now := e.Must(t, admintest.Req{Method: "GET", Path: "users/" + u.ID, Scope: usersR}, http.StatusOK).Header.Get("ETag")
		if now != winner {
			t.Fatalf("round %d: the winner's ETag %s is not the user's %s", round, winner, now)
		}
		etag = now
	}
}

// TestBUserConcurrentRename: 20 users renamed to one username at once:
// one PATCH wins, every other answers 409 naming username (the store's
// unique username decides the race), never a 5xx.
func TestBUserConcurrentRename(t *testing.T) {
	e := admintest.New(t, admintest.Options{})
	e.ScopedToken(t, usersW)
	const n = 20
	ids := make([]string, n)
	for i := range n {
		ids[i] = e.CreateUser(t, fmt.Sprintf("racer%d", i)).ID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for _, id := range ids {
		wg.Go(func() {
			r := e.Send(t, admintest.Req{Method: "PATCH", Path: "users/" + id, Scope: usersW, Body: `{"username":"wanted"}`})
			if r.Status == http.StatusConflict && !admintest.Names(r.Problem(t), "username") {
				t.Errorf("409 %s does not name username", r.Body)
			}
			mu.Lock()
			defer mu.Unlock()
			statuses[r.Status]++
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v, want one 200 and %d 409", statuses, n-1)
	}
}
