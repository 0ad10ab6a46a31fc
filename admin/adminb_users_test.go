package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

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
	e := newEnv(t)
	ctx := context.Background()
	const pw = "correct horse battery"
	r := e.must(t, bReq{method: "POST", path: "users", scope: usersW,
		body: `{"username":"ada","password":"` + pw + `","claims":{"name":"Ada","email":"Ada@Example.com"}}`}, http.StatusCreated)
	var ada registry.UserInfo
	r.decode(t, &ada)
	if ada.ID == "" || ada.Username != "ada" || ada.Source != registry.SourceStore || ada.Disabled || ada.CreatedAt.IsZero() {
		t.Errorf("created %+v", ada)
	}
	if r.header.Get("Location") != "/admin/v1/users/"+ada.ID || r.header.Get("ETag") == "" {
		t.Errorf("Location %q, ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
	}
	if strings.Contains(string(r.body), "password") {
		t.Errorf("the answer holds the password: %s", r.body)
	}
	stored, _ := e.AS.Store.GetUser(ctx, ada.ID)
	if ok, _ := users.VerifyPassword(stored.PasswordHash, pw); !ok {
		t.Error("the stored hash does not verify the password")
	}

	got := e.must(t, bReq{method: "GET", path: "users/" + ada.ID, scope: usersR}, http.StatusOK)
	if got.header.Get("ETag") != r.header.Get("ETag") {
		t.Errorf("ETag of the read %q, of the create %q", got.header.Get("ETag"), r.header.Get("ETag"))
	}
	e.createUser(t, "grace")
	noPW := e.must(t, bReq{method: "POST", path: "users", scope: usersW, body: `{"username":"nopassword"}`}, http.StatusCreated)
	var np registry.UserInfo
	noPW.decode(t, &np)
	if u, _ := e.AS.Store.GetUser(ctx, np.ID); u.PasswordHash != "" {
		t.Error("a user created without a password has a hash")
	}

	// Search by email, ignoring case; page through everyone.
	var found struct {
		Items      []registry.UserInfo `json:"items"`
		NextCursor string              `json:"next_cursor"`
	}
	e.must(t, bReq{method: "GET", path: "users?q=ADA%40example", scope: usersR}, http.StatusOK).decode(t, &found)
	if len(found.Items) != 1 || found.Items[0].ID != ada.ID || found.NextCursor != "" {
		t.Errorf("q=ADA@example found %+v", found)
	}
	var seen []string
	for cursor := ""; ; {
		found.NextCursor = ""
		e.must(t, bReq{method: "GET", path: "users?limit=2&cursor=" + cursor, scope: usersR}, http.StatusOK).decode(t, &found)
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
	etag := got.header.Get("ETag")
	p := e.must(t, bReq{method: "PATCH", path: "users/" + ada.ID, scope: usersW, ifMatch: etag,
		contentType: "application/merge-patch+json", body: `{"username":"ada.l","claims":{"name":null,"given_name":"Ada"}}`}, http.StatusOK)
	var patched registry.UserInfo
	p.decode(t, &patched)
	if patched.Username != "ada.l" || patched.Claims["name"] != nil || patched.Claims["given_name"] != "Ada" ||
		patched.Claims["email"] != "Ada@Example.com" {
		t.Errorf("patched %+v", patched)
	}
	e.must(t, bReq{method: "PATCH", path: "users/" + ada.ID, scope: usersW, ifMatch: etag, body: `{"claims":{}}`},
		http.StatusPreconditionFailed).problem(t)
	e.must(t, bReq{method: "DELETE", path: "users/" + ada.ID, scope: usersW, ifMatch: etag}, http.StatusPreconditionFailed)

	// A new password revokes the user's grants.
	e.grant(t, "g-ada", ada.ID, e.AS.WebClientID, time.Now().Add(-time.Minute))
	const pw2 = "another long passphrase"
	e.must(t, bReq{method: "PUT", path: "users/" + ada.ID + "/password", scope: usersW, body: `{"password":"` + pw2 + `"}`}, http.StatusNoContent)
	stored, _ = e.AS.Store.GetUser(ctx, ada.ID)
	if ok, _ := users.VerifyPassword(stored.PasswordHash, pw2); !ok {
		t.Error("the new password does not verify")
	}
	if g, _ := e.AS.Store.GetGrant(ctx, "g-ada"); g.RevokedAt.IsZero() {
		t.Error("setting the password left the user's grant live")
	}

	e.must(t, bReq{method: "DELETE", path: "users/" + ada.ID, scope: usersW, ifMatch: p.header.Get("ETag")}, http.StatusNoContent)
	e.must(t, bReq{method: "GET", path: "users/" + ada.ID, scope: usersR}, http.StatusNotFound).problem(t)
	e.must(t, bReq{method: "DELETE", path: "users/" + ada.ID, scope: usersW}, http.StatusNotFound)

	changes := e.audit(t, audit.ConfigChanged)
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
	e := newEnv(t)
	u := e.createUser(t, "valid")
	e.createUser(t, "taken")
	demo, err := e.AS.Store.GetUserByUsername(context.Background(), e.AS.Username)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		req   bReq
		want  int
		field string
	}{
		{"create without username", bReq{method: "POST", path: "users", body: `{"password":"long enough pw"}`}, 400, "username"},
		{"create with short password", bReq{method: "POST", path: "users", body: `{"username":"x","password":"short"}`}, 400, "password"},
		{"create with claims not an object", bReq{method: "POST", path: "users", body: `{"username":"x","claims":[1]}`}, 400, ""},
		{"create a taken username", bReq{method: "POST", path: "users", body: `{"username":"taken"}`}, 409, "username"},
		{"create the file's username", bReq{method: "POST", path: "users", body: `{"username":"DEMO"}`}, 409, ""},
		{"patch removing the username", bReq{method: "PATCH", path: "users/" + u.ID, body: `{"username":null}`}, 400, "username"},
		{"patch to a taken username", bReq{method: "PATCH", path: "users/" + u.ID, body: `{"username":"taken"}`}, 409, "username"},
		{"patch to the file's username", bReq{method: "PATCH", path: "users/" + u.ID, body: `{"username":"demo"}`}, 409, "username"},
		{"patch disabled not a boolean", bReq{method: "PATCH", path: "users/" + u.ID, body: `{"disabled":"yes"}`}, 400, ""},
		{"patch not an object", bReq{method: "PATCH", path: "users/" + u.ID, body: `[1]`}, 400, ""},
		{"patch the id", bReq{method: "PATCH", path: "users/" + u.ID, body: `{"id":"other"}`}, 400, ""},
		{"patch an unknown user", bReq{method: "PATCH", path: "users/nobody", body: `{"claims":{}}`}, 404, ""},
		{"password too short", bReq{method: "PUT", path: "users/" + u.ID + "/password", body: `{"password":"short"}`}, 400, "password"},
		{"password empty", bReq{method: "PUT", path: "users/" + u.ID + "/password", body: `{"password":""}`}, 400, "password"},
		{"password of an unknown user", bReq{method: "PUT", path: "users/nobody/password", body: `{"password":"long enough pw"}`}, 404, ""},
		{"patch the file's user", bReq{method: "PATCH", path: "users/" + demo.ID, body: `{"claims":{}}`}, 409, ""},
		{"disable the file's user", bReq{method: "PATCH", path: "users/" + demo.ID, body: `{"disabled":true}`}, 409, ""},
		{"delete the file's user", bReq{method: "DELETE", path: "users/" + demo.ID}, 409, ""},
		{"password of the file's user", bReq{method: "PUT", path: "users/" + demo.ID + "/password", body: `{"password":"long enough pw"}`}, 409, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.scope = usersW
			p := e.must(t, c.req, c.want).problem(t)
			if c.field != "" && !bNames(p, c.field) {
				t.Errorf("problem %+v does not name %s", p, c.field)
			}
		})
	}
	if got, _ := e.AS.Store.GetUser(context.Background(), demo.ID); got.Disabled {
		t.Error("the file's user was disabled")
	}
	var d registry.UserInfo
	e.must(t, bReq{method: "GET", path: "users/" + demo.ID, scope: usersR}, http.StatusOK).decode(t, &d)
	if d.Source != registry.SourceConfig {
		t.Errorf("the file's user has source %q", d.Source)
	}
}

// TestBUserDisable: PATCH disabled true does what `users disable` does:
// the user is disabled and their grants and tokens revoked; false lets
// them sign in again. Both are audited.
func TestBUserDisable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.createUser(t, "mallory")
	e.grant(t, "g-m", u.ID, e.AS.WebClientID, time.Now().Add(-time.Minute))
	var got registry.UserInfo
	e.must(t, bReq{method: "PATCH", path: "users/" + u.ID, scope: usersW, body: `{"disabled":true}`}, http.StatusOK).decode(t, &got)
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
	dis := e.audit(t, audit.UserDisabled)
	if len(dis) != 1 || dis[0].Subject != u.ID || dis[0].Detail["revoked_grants"] != float64(1) || dis[0].Detail["actor_client_id"] != "admin" {
		t.Errorf("user_disabled events %+v", dis)
	}

	e.must(t, bReq{method: "PATCH", path: "users/" + u.ID, scope: usersW, body: `{"disabled":false}`}, http.StatusOK).decode(t, &got)
	if got.Disabled {
		t.Error("the answer shows the user disabled")
	}
	if _, err := users.Active(ctx, e.AS.Store, u.ID); err != nil {
		t.Errorf("Active after enabling: %v", err)
	}
	// Enabling an enabled user changes nothing and is not audited again.
	e.must(t, bReq{method: "PATCH", path: "users/" + u.ID, scope: usersW, body: `{"disabled":false}`}, http.StatusOK)
	if en := e.audit(t, audit.UserEnabled); len(en) != 1 || en[0].Subject != u.ID {
		t.Errorf("user_enabled events %+v", en)
	}
}

// TestBUserConcurrentPatch: of 50 PATCHes of one user with the same
// If-Match, disabling, enabling and changing claims, exactly one wins and
// the others get 412; round after round.
func TestBUserConcurrentPatch(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(t, "contended")
	e.scopedToken(t, usersW)
	etag := e.must(t, bReq{method: "GET", path: "users/" + u.ID, scope: usersR}, http.StatusOK).header.Get("ETag")
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
				r := e.send(t, bReq{method: "PATCH", path: "users/" + u.ID, scope: usersW, ifMatch: etag, body: body})
				mu.Lock()
				defer mu.Unlock()
				statuses[r.status]++
				if r.status == http.StatusOK {
					winner = r.header.Get("ETag")
				}
			})
		}
		wg.Wait()
		if statuses[http.StatusOK] != 1 || statuses[http.StatusPreconditionFailed] != 49 {
			t.Fatalf("round %d: statuses %v, want one 200 and 49 412", round, statuses)
		}
		now := e.must(t, bReq{method: "GET", path: "users/" + u.ID, scope: usersR}, http.StatusOK).header.Get("ETag")
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
	e := newEnv(t)
	e.scopedToken(t, usersW)
	const n = 20
	ids := make([]string, n)
	for i := range n {
		ids[i] = e.createUser(t, fmt.Sprintf("racer%d", i)).ID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for _, id := range ids {
		wg.Go(func() {
			r := e.send(t, bReq{method: "PATCH", path: "users/" + id, scope: usersW, body: `{"username":"wanted"}`})
			if r.status == http.StatusConflict && !bNames(r.problem(t), "username") {
				t.Errorf("409 %s does not name username", r.body)
			}
			mu.Lock()
			defer mu.Unlock()
			statuses[r.status]++
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v, want one 200 and %d 409", statuses, n-1)
	}
}
