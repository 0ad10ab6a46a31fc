package authserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/sqlite"
)

// reportsAPI is an API registered at run time in the tests of stored APIs.
const reportsAPI = "https://reports.example.com"

// storedClient creates a confidential client credentials client in st,
// allowed scopes, and returns its secret.
func storedClient(t testing.TB, st store.Store, id string, edit func(*store.Client), scopes ...string) string {
	t.Helper()
	secret, hash := authserver.NewSecret()
	c := store.Client{ID: id, SecretHash: hash, AuthMethod: store.AuthSecretBasic, GrantTypes: []string{"client_credentials"},
		Scopes: scopes, CreatedAt: time.Now()}
	if edit != nil {
		edit(&c)
	}
	if err := st.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return secret
}

// ccToken asks base's token endpoint for a client credentials token for
// resource ("" for none).
func ccToken(t testing.TB, base, id, secret, resource string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if resource != "" {
		form.Set("resource", resource)
	}
	return postForm(t, base+"/token", form, basic(id, secret))
}

// scopesSupported is discovery's scopes_supported at base.
func scopesSupported(t *testing.T, base string) []string {
	t.Helper()
	var m struct {
		Scopes []string `json:"scopes_supported"`
	}
	getJSON(t, base+"/.well-known/openid-configuration", &m)
	return m.Scopes
}

// TestStoredAPIs: an API created in the store is unknown until the server
// reloads its APIs, then grantable with its lifetime, advertised by
// discovery and described on the consent page; deleted, it is gone again.
func TestStoredAPIs(t *testing.T) {
	as := authservertest.New(t)
	ctx := context.Background()
	secret := storedClient(t, as.Store, "reporter", nil, "reports:read")
	reload := func() {
		t.Helper()
		if err := as.Instance.ReloadAPIs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(when string) {
		t.Helper()
		if status, body := ccToken(t, as.URL, "reporter", secret, reportsAPI); status != http.StatusBadRequest || body["error"] != "invalid_target" {
			t.Fatalf("%s: %d %v, want invalid_target", when, status, body)
		}
		if slices.Contains(scopesSupported(t, as.URL), "reports:read") {
			t.Fatalf("%s: discovery lists reports:read", when)
		}
	}
	refused("before the API exists")
	api := store.API{Identifier: reportsAPI, Name: "Reports", AccessTokenTTL: 10 * time.Minute, CreatedAt: time.Now(),
		Scopes: []store.Scope{{Name: "reports:read", Description: "read your reports"}}}
	if err := as.Store.CreateAPI(ctx, api); err != nil {
		t.Fatal(err)
	}
	refused("created but not reloaded")
	reload()

	status, body := ccToken(t, as.URL, "reporter", secret, reportsAPI)
	if status != http.StatusOK || body["expires_in"] != float64(600) || body["scope"] != "reports:read" {
		t.Fatalf("token for the stored API: %d %v", status, body)
	}
	c := verify(t, as.URL, body["access_token"].(string))
	if !slices.Equal(c.Audience, jwt.Audience{reportsAPI}) || c.Expiry.Time().Sub(c.IssuedAt.Time()) != 10*time.Minute {
		t.Fatalf("claims %+v: want the stored API's audience and 10m lifetime", c)
	}
	if !slices.Contains(scopesSupported(t, as.URL), "reports:read") {
		t.Fatal("discovery does not list the stored API's scope")
	}

	t.Run("consent page shows the stored scope's description", func(t *testing.T) {
		err := as.Store.CreateClient(ctx, store.Client{ID: "reports-spa", Name: "Reports SPA", AuthMethod: store.AuthNone,
			GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{as.RedirectURI},
			Scopes: []string{"openid", "reports:read"}, CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, as)
		f := newFlow(as, "reports-spa", "", "openid", "reports:read")
		p := b.login(b.get(f.authURL(oauth2.SetAuthURLParam("resource", reportsAPI))), as.Username, as.Password)
		if !strings.Contains(p.body, "read your reports (Reports)") {
			t.Fatalf("consent page: %s", p.body)
		}
	})

	t.Run("a stored API does not replace a file API of the same identifier", func(t *testing.T) {
		shadow := store.API{Identifier: authservertest.API, Scopes: []store.Scope{{Name: "shadow:scope"}}, CreatedAt: time.Now()}
		if err := as.Store.CreateAPI(ctx, shadow); err != nil {
			t.Fatal(err)
		}
		reload()
		if got := scopesSupported(t, as.URL); slices.Contains(got, "shadow:scope") || !slices.Contains(got, "list:users") {
			t.Fatalf("scopes_supported %v: the file's API must win", got)
		}
		if err := as.Store.DeleteAPI(ctx, authservertest.API, nil); err != nil {
			t.Fatal(err)
		}
	})

	if err := as.Store.DeleteAPI(ctx, reportsAPI, nil); err != nil {
		t.Fatal(err)
	}
	reload()
	refused("deleted")
}

// failingAPIs is a store whose ListAPIs fails while fail is set.
type failingAPIs struct {
	store.Store
	fail *atomic.Bool
}

var errListAPIs = errors.New("the database is away")

func (f failingAPIs) ListAPIs(ctx context.Context) ([]store.API, error) {
	if f.fail.Load() {
		return nil, errListAPIs
	}
	return f.Store.ListAPIs(ctx)
}

// TestReloadAPIsFailure: a reload that cannot read the store reports why
// and changes nothing; RunAPIs goes on and picks the change up once the
// store answers.
func TestReloadAPIsFailure(t *testing.T) {
	fail := &atomic.Bool{}
	path := filepath.Join(t.TempDir(), "portcullis.db")
	c := authservertest.NewCluster(t, 1, func(tb testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			tb.Fatal(err)
		}
		return failingAPIs{Store: st, fail: fail}
	})
	as := c.Nodes[0]
	ctx := context.Background()
	secret := storedClient(t, as.Store, "reporter", nil, "reports:read")
	api := store.API{Identifier: reportsAPI, Scopes: []store.Scope{{Name: "reports:read"}}, CreatedAt: time.Now()}
	if err := as.Store.CreateAPI(ctx, api); err != nil {
		t.Fatal(err)
	}
	if err := as.Instance.ReloadAPIs(ctx); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if err := as.Instance.ReloadAPIs(ctx); !errors.Is(err, errListAPIs) {
		t.Fatalf("ReloadAPIs with the store away: %v, want its error", err)
	}
	if status, body := ccToken(t, as.URL, "reporter", secret, reportsAPI); status != http.StatusOK {
		t.Fatalf("after a failed reload the last APIs must stay: %d %v", status, body)
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go as.Instance.RunAPIs(rctx, 20*time.Millisecond)
	if err := as.Store.DeleteAPI(ctx, reportsAPI, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // several failed polls
	if status, _ := ccToken(t, as.URL, "reporter", secret, reportsAPI); status != http.StatusOK {
		t.Fatalf("failed polls changed the APIs: %d", status)
	}
	fail.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := ccToken(t, as.URL, "reporter", secret, reportsAPI)
		if status == http.StatusBadRequest && body["error"] == "invalid_target" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RunAPIs did not pick up the deletion once the store answered: %d %v", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAPIsSwapUnderLoad: 50 clients ask for tokens while the API they
// need is created, deleted and reloaded over and over. Each answer is
// consistent with one snapshot (a token for the API with its lifetime,
// or invalid_target), never a server error; run with -race.
func TestAPIsSwapUnderLoad(t *testing.T) {
	as := authservertest.New(t)
	ctx := context.Background()
	secret := storedClient(t, as.Store, "reporter", nil, "reports:read")
	api := store.API{Identifier: reportsAPI, AccessTokenTTL: 5 * time.Minute, Scopes: []store.Scope{{Name: "reports:read"}}, CreatedAt: time.Now()}
	stop := make(chan struct{})
	var flips sync.WaitGroup
	flips.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			if i%2 == 0 {
				err = as.Store.CreateAPI(ctx, api)
			} else {
				err = as.Store.DeleteAPI(ctx, reportsAPI, nil)
			}
			if err != nil {
				t.Error(err)
				return
			}
			if err := as.Instance.ReloadAPIs(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var granted, refused atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 10 {
				status, body := ccToken(t, as.URL, "reporter", secret, reportsAPI)
				switch {
				case status == http.StatusOK && body["expires_in"] == float64(300) && body["scope"] == "reports:read":
					granted.Add(1)
				case status == http.StatusBadRequest && body["error"] == "invalid_target":
					refused.Add(1)
				default:
					t.Errorf("answer during reloads: %d %v", status, body)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	flips.Wait()
	t.Logf("%d tokens granted, %d refused while the API came and went", granted.Load(), refused.Load())
}

// TestRegistrationEndpoint: discovery advertises dynamic registration
// (RFC 8414 section 2) only when it is served.
func TestRegistrationEndpoint(t *testing.T) {
	for _, tt := range []struct {
		name string
		on   bool
	}{{"registration on", true}, {"registration off", false}} {
		t.Run(tt.name, func(t *testing.T) {
			as := authservertest.New(t, func(c *authserver.Config) { c.Registration = tt.on })
			var m map[string]any
			getJSON(t, as.URL+"/.well-known/oauth-authorization-server", &m)
			got, ok := m["registration_endpoint"]
			if ok != tt.on || ok && got != as.URL+"/register" {
				t.Fatalf("registration_endpoint = %v (present %v), want present %v", got, ok, tt.on)
			}
		})
	}
}
