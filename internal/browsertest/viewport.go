package browsertest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Viewport is a screen size pages are checked at.
type Viewport struct {
	// Name goes into screenshot file names: desktop, phone, phone-small.
	Name          string
	Width, Height int64
	// Mobile emulates a phone: touch, and a viewport meta tag obeyed.
	Mobile bool
}

// The sizes every page is checked at: a laptop, a current phone, and the
// smallest phone still in use.
var (
	Desktop    = Viewport{Name: "desktop", Width: 1280, Height: 800}
	Phone      = Viewport{Name: "phone", Width: 390, Height: 844, Mobile: true}
	SmallPhone = Viewport{Name: "phone-small", Width: 320, Height: 568, Mobile: true}
	Viewports  = []Viewport{Desktop, Phone, SmallPhone}
)

// SetViewport resizes the page of ctx to v; the page reflows, it is not
// reloaded.
func SetViewport(ctx context.Context, v Viewport) error {
	var opts []chromedp.EmulateViewportOption
	if v.Mobile {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.Width, v.Height, opts...)); err != nil {
		return fmt.Errorf("viewport %s: %w", v.Name, err)
	}
	return nil
}

// ArtifactsDir is where screenshots go: $PORTCULLIS_ARTIFACTS, or
// ./artifacts (beside the test's package) when unset.
func ArtifactsDir() string { return cmp.Or(os.Getenv("PORTCULLIS_ARTIFACTS"), "artifacts") }

// Screenshot saves what the page of ctx shows, the viewport only, as
// ArtifactsDir()/name.png; a failure fails the test.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
}

// overflowScript lists what sticks out sideways: the document itself when
// it scrolls horizontally, and each visible element that reaches past the
// viewport's left or right edge (cut off, or the cause of the scroll). A
// phone zooms out to fit a page too wide, widening innerWidth, but not the
// layout viewport (clientWidth), so the narrower of the two is the width.
const overflowScript = `(() => {
	const doc = document.documentElement, out = [], w = Math.min(window.innerWidth, doc.clientWidth);
	if (doc.scrollWidth > w) out.push('document is ' + doc.scrollWidth + 'px wide in a ' + w + 'px viewport');
	for (const e of document.body.querySelectorAll('*')) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) continue;
		if (r.left < -0.5 || r.right > w + 0.5) {
			let sel = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
			out.push(sel + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right) + 'px');
		}
	}
	return out;
})()`

// Overflow returns what sticks out of the page of ctx sideways: whether
// the page scrolls horizontally (document.documentElement.scrollWidth
// above the viewport's width), and which elements reach past the viewport's edges.
// None is nil.
func Overflow(ctx context.Context) ([]string, error) {
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](overflowScript))
	if err != nil {
		return nil, fmt.Errorf("overflow: %w", err)
	}
	return out, nil
}

// CheckPage checks the page ctx shows at every size of Viewports: it
// saves a screenshot name-<viewport>.png, and fails the test if anything
// sticks out sideways (Overflow) or axe-core finds a serious or critical
// violation (Axe). It leaves the page at Desktop size.
func CheckPage(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	for _, v := range Viewports {
		if err := SetViewport(ctx, v); err != nil {
			t.Fatal(err)
		}
		Screenshot(t, ctx, name+"-"+v.Name)
		over, err := Overflow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range over {
			t.Errorf("%s at %s (%dx%d): %s", name, v.Name, v.Width, v.Height, o)
		}
		vs, err := Axe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range vs {
			t.Errorf("%s at %s: accessibility: %s", name, v.Name, x)
		}
	}
	if err := SetViewport(ctx, Desktop); err != nil {
		t.Fatal(err)
	}
}
