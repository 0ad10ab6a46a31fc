package gateway_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/gateway"
)

// TestUpstreamConnectionsReused sends rounds of concurrent requests through
// the gateway: it keeps its upstream connections for the next round rather
// than dialling one for each request past the first two, as a transport
// with net/http's default idle limit does.
func TestUpstreamConnectionsReused(t *testing.T) {
	issuer := authservertest.New(t)
	var dialled atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	gw := start(t, issuer.URL, nil, gateway.Route{Path: "/users", Upstream: up.URL, Scopes: []string{"list:users"}})
	tok := issuer.Token(t, "list:users")
	const concurrent, rounds = 16, 10
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrent}}
	for range rounds {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, gw.URL+"/users", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d", resp.StatusCode)
				}
			})
		}
		wg.Wait()
	}
	// Each round may need a connection for each request in flight; later
	// rounds find them idle.
	if n := dialled.Load(); n > 2*concurrent {
		t.Fatalf("%d upstream connections for %d requests, at most %d in flight", n, concurrent*rounds, concurrent)
	}
}
