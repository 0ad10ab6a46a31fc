package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core 4.10 (MPL-2.0, testdata/axe/LICENSE), vendored so
// that the accessibility check runs offline and gives the same answer on
// every machine.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// Violation is an axe-core rule a page breaks.
type Violation struct {
	// ID names the rule (color-contrast, label...); Impact is minor,
	// moderate, serious or critical.
	ID, Impact string
	// Help says what the rule asks for, HelpURL where it is explained.
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	// Targets are CSS selectors of the elements that break it.
	Targets []string `json:"targets"`
}

// String is the violation as one line of a test failure.
func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s (%s)", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "), v.HelpURL)
}

// axeRun runs axe on the whole document and keeps what a person would be
// stopped by: serious and critical violations.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
	.filter(v => v.impact === 'serious' || v.impact === 'critical')
	.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		targets: v.nodes.map(n => n.target.join(' '))})))`

// Axe injects axe-core into the current page of ctx (a context of
// Chromium) unless it is there already, runs it, and returns the page's
// serious and critical violations; none is nil.
func Axe(ctx context.Context) ([]Violation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== 'undefined'`))
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			return nil, fmt.Errorf("axe: inject: %w", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: run: %w", err)
	}
	return vs, nil
}
