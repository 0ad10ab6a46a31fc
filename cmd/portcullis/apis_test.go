package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/store"
)

// TestAPIsChanged: the management API's Changed hook makes an API just
// stored usable at the instance at once and, with Redis, announces it to
// the instances watching (watchAPIs), whose polling is left out here.
func TestAPIsChanged(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	here, there := authservertest.New(t), authservertest.New(t)
	var rs *redisstate.Client
	if target := os.Getenv("PORTCULLIS_TEST_REDIS"); target != "" {
		var err error
		if rs, err = redisstate.Open(ctx, target, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() }) // after the subscription ends
		go rs.SubscribeChanges(ctx, redisstate.TopicAPIs, func() {
			// there has its own database: it learns of the change by
			// the notice alone, so copy the API as a shared store would.
			copyAPI(t, here.Store, there.Store)
			there.Instance.APIsChanged()
		})
		go there.Instance.RunAPIs(ctx, time.Hour)
		time.Sleep(200 * time.Millisecond) // subscribed
	} else {
		t.Log("PORTCULLIS_TEST_REDIS not set: only the instance that made the change is checked")
	}
	const id = "https://reports.example.com"
	secret, hash := authserver.NewSecret()
	for _, st := range []store.Store{here.Store, there.Store} {
		if err := st.CreateClient(ctx, store.Client{ID: "reporter", SecretHash: hash, AuthMethod: store.AuthSecretBasic,
			GrantTypes: []string{"client_credentials"}, Scopes: []string{"reports:read"}, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := here.Store.CreateAPI(ctx, store.API{Identifier: id, Scopes: []store.Scope{{Name: "reports:read"}}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	apisChanged(here.Instance, rs, slog.New(slog.NewTextHandler(io.Discard, nil)))(ctx)
	if status := token(t, here.URL, "reporter", secret, id); status != http.StatusOK {
		t.Fatalf("at the instance that made the change: %d", status)
	}
	if rs == nil {
		return
	}
	deadline := time.Now().Add(time.Second)
	for token(t, there.URL, "reporter", secret, id) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the other instance did not reload within a second of the notice")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// copyAPI copies from's stored APIs to to.
func copyAPI(t *testing.T, from, to store.Store) {
	apis, err := from.ListAPIs(context.Background())
	if err != nil {
		t.Error(err)
		return
	}
	for _, a := range apis {
		to.CreateAPI(context.Background(), a) // ErrAlreadyExists on repeats
	}
}

// token asks base for a client credentials token of the client id for
// resource and returns the status.
func token(t *testing.T, base, id, secret, resource string) int {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}}
	req, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
