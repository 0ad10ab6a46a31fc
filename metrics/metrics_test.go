package metrics

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
)

// series counts the time series of Portcullis's own metrics in the
// registry.
func series(t *testing.T, m *Metrics) int {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "portcullis_") {
			n += len(mf.GetMetric())
		}
	}
	return n
}

// TestSeriesBounded sends requests with made-up methods, paths and client
// IDs, which an unauthenticated caller chooses freely, and checks that the
// number of series stops growing once each kind has been seen: labels
// come from fixed sets only.
func TestSeriesBounded(t *testing.T) {
	m := New(nil)
	srv := authservertest.New(t, func(c *authserver.Config) { c.Observer = m })
	hc := &http.Client{}
	send := func(round, n int) {
		for i := range n {
			id := fmt.Sprintf("%d-%d", round, i)
			for _, req := range []struct {
				name, method, path string
				form               url.Values
				user               string
			}{
				{"made-up method", "M" + strings.ReplaceAll(id, "-", "X"), "/token", nil, ""},
				{"made-up path", "GET", "/nowhere/" + id, nil, ""},
				{"made-up method on a made-up path", "Z" + strings.ReplaceAll(id, "-", "Y"), "/x/" + id, nil, ""},
				{"made-up client", "POST", "/token", url.Values{"grant_type": {"client_credentials"}}, "client-" + id},
				{"made-up grant", "POST", "/token", url.Values{"grant_type": {"g-" + id}}, srv.ClientID},
			} {
				body := strings.NewReader(req.form.Encode())
				r, err := http.NewRequest(req.method, srv.URL+req.path, body)
				if err != nil {
					t.Fatalf("%s: %v", req.name, err)
				}
				if req.form != nil {
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if req.user == srv.ClientID {
					r.SetBasicAuth(req.user, srv.ClientSecret)
				} else if req.user != "" {
					r.SetBasicAuth(req.user, "not-the-secret")
				}
				resp, err := hc.Do(r)
				if err != nil {
					t.Fatalf("%s: %v", req.name, err)
				}
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					t.Fatalf("%s: status %d", req.name, resp.StatusCode)
				}
			}
		}
	}
	send(0, 20)
	before := series(t, m)
	send(1, 1000)
	if after := series(t, m); after != before {
		t.Fatalf("series grew from %d to %d with 5,000 requests of made-up methods, paths and clients", before, after)
	}
	t.Logf("%d series after 5,100 requests", before)
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"standard method", methodLabel("PATCH"), "PATCH"},
		{"lower-case method", methodLabel("get"), "other"},
		{"made-up method", methodLabel("BREW"), "other"},
		{"status", statusLabel(429), "429"},
		{"status out of range", statusLabel(1000), "other"},
		{"zero status", statusLabel(0), "other"},
		{"registered error", errorLabel("invalid_target"), "invalid_target"},
		{"unregistered error", errorLabel("made_up"), "other"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
