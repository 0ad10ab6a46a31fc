package metrics

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/usage"
)

// rateLimitedCounts reads portcullis_rate_limited_total by limit.
func rateLimitedCounts(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "portcullis_rate_limited_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			out[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	return out
}

// TestRateLimited: refusals at the server are counted by limit name, not
// by client; every limit, and "other", shows from the start, other events
// count nothing, and made-up limit names fold into "other".
func TestRateLimited(t *testing.T) {
	m := New(nil)
	sink := m
	srv := authservertest.New(t, func(c *authserver.Config) {
		c.Usage = sink
		c.RateLimits.Token = usage.Limit{Rate: 1, Period: time.Hour, Burst: 1}
	})
	if got := rateLimitedCounts(t, m); len(got) != len(usage.LimitNames)+1 || got[usage.LimitToken] != 0 || got["other"] != 0 {
		t.Fatalf("before any refusal: %v", got)
	}
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(srv.ClientID, srv.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := []int{200, 429, 429}[i]; resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	for i := range 100 {
		sink.Observe(usage.Event{Kind: usage.RateLimited, Limit: "made-up-" + strconv.Itoa(i), ClientID: strconv.Itoa(i)})
		sink.Observe(usage.Event{Kind: usage.TokenIssued, ClientID: strconv.Itoa(i)})
	}
	got := rateLimitedCounts(t, m)
	if got[usage.LimitToken] != 2 || got["other"] != 100 || len(got) != len(usage.LimitNames)+1 {
		t.Fatalf("counts %v", got)
	}
}
