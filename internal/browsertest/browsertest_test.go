package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/internal/browsertest"
)

// TestChecks runs Axe and Overflow on pages with a known fault and on a
// clean one, at phone size: the helpers must find exactly the fault.
func TestChecks(t *testing.T) {
	ctx := browsertest.Chromium(t, 60*time.Second)
	const head = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title></head><body><main><h1>Page</h1>`
	pages := map[string]string{
		"/clean":    head + `<p>Fine.</p></main></body></html>`,
		"/no-alt":   head + `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10"></main></body></html>`,
		"/too-wide": head + `<div style="width:500px">wide</div></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(pages[r.URL.Path]))
	}))
	defer srv.Close()
	if err := browsertest.SetViewport(ctx, browsertest.Phone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path   string
		axe, overlap string // substrings expected; empty: nothing expected
	}{
		{name: "clean", path: "/clean"},
		{name: "image without alt", path: "/no-alt", axe: "image-alt"},
		{name: "wider than a phone", path: "/too-wide", overlap: "div spans 8..508px"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+tt.path)); err != nil {
				t.Fatal(err)
			}
			vs, err := browsertest.Axe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := joined(vs); (tt.axe == "") != (got == "") || !strings.Contains(got, tt.axe) {
				t.Errorf("axe found %q, want %q", got, tt.axe)
			}
			over, err := browsertest.Overflow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(over, "; "); (tt.overlap == "") != (got == "") || !strings.Contains(got, tt.overlap) {
				t.Errorf("overflow %q, want %q", got, tt.overlap)
			}
		})
	}
}

func joined(vs []browsertest.Violation) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.String())
	}
	return strings.Join(s, "; ")
}
