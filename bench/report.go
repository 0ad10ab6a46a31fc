package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// ratioSpec is one of issue 16's ratios: Num's metric over Den's.
type ratioSpec struct {
	Name     string
	Num, Den [2]string // scenario, target
	// Metric is "rps" (requests per second) or "cpu" (µs per request).
	Metric string
	// AtMost is true for a ceiling (≤ Target), false for a floor (≥).
	AtMost bool
	// Target is the goal; zero is a figure reported without one.
	Target float64
}

var ratioSpecs = []ratioSpec{
	{Name: "token CPU/req: portcullis / floor-es256", Num: [2]string{"token", tPortcullis}, Den: [2]string{"token", tFloorES256}, Metric: "cpu", AtMost: true, Target: 1.3},
	{Name: "token req/s: portcullis / oidc-provider opaque", Num: [2]string{"token", tPortcullis}, Den: [2]string{"token", tOPOpaque}, Metric: "rps", Target: 2},
	{Name: "token req/s: portcullis / oidc-provider jwt (ES256)", Num: [2]string{"token", tPortcullis}, Den: [2]string{"token", tOPJWT}, Metric: "rps", Target: 5},
	{Name: "token req/s: portcullis / oidc-provider jwt-rs256", Num: [2]string{"token", tPortcullis}, Den: [2]string{"token", tOPRS256}, Metric: "rps"},
	{Name: "introspect CPU/req: portcullis / floor-json", Num: [2]string{"introspect", tPortcullis}, Den: [2]string{"introspect", tFloorJSON}, Metric: "cpu", AtMost: true, Target: 1.5},
	{Name: "introspect req/s: portcullis / oidc-provider opaque", Num: [2]string{"introspect", tPortcullis}, Den: [2]string{"introspect", tOPOpaque}, Metric: "rps", Target: 3},
	{Name: "jwks req/s: portcullis / oidc-provider", Num: [2]string{"jwks", tPortcullis}, Den: [2]string{"jwks", tOPOpaque}, Metric: "rps"},
	{Name: "gateway req/s: portcullis gateway / floor-proxy", Num: [2]string{"gateway", tGateway}, Den: [2]string{"gateway", tFloorProxy}, Metric: "rps", Target: 0.8},
	{Name: "gateway CPU/req: portcullis gateway / floor-proxy", Num: [2]string{"gateway", tGateway}, Den: [2]string{"gateway", tFloorProxy}, Metric: "cpu"},
	{Name: "postgres x3 token CPU/req / sqlite", Num: [2]string{"pg-token", tPGx3}, Den: [2]string{"token", tPortcullis}, Metric: "cpu", AtMost: true, Target: 1.2},
	{Name: "postgres x3 introspect CPU/req / sqlite", Num: [2]string{"pg-introspect", tPGx3}, Den: [2]string{"introspect", tPortcullis}, Metric: "cpu", AtMost: true, Target: 1.2},
}

// ratioResult is a ratio as computed from a run.
type ratioResult struct {
	ratioSpec
	Value    float64 `json:"value"`
	Min, Max float64
	Verdict  string `json:"verdict"` // PASS, FAIL, info or n/a
}

// results is a run's measurements, grouped.
type results struct {
	all []*measurement
}

func (r *results) add(ms ...*measurement) { r.all = append(r.all, ms...) }

// rows returns the measurements of scenario and target, by round.
func (r *results) rows(scenario, target string) []*measurement {
	var out []*measurement
	for _, m := range r.all {
		if m.Scenario == scenario && m.Target == target {
			out = append(out, m)
		}
	}
	return out
}

func metric(m *measurement, name string) float64 {
	if name == "cpu" {
		return m.CPUPerReq
	}
	return m.RPS
}

func medianOf(ms []*measurement, f func(*measurement) float64) float64 {
	v := make([]float64, 0, len(ms))
	for _, m := range ms {
		v = append(v, f(m))
	}
	return medianF(v)
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ratios computes every ratio from the medians of the rounds, with the
// spread of the per-round ratios.
func (r *results) ratios() []ratioResult {
	var out []ratioResult
	for _, spec := range ratioSpecs {
		res := ratioResult{ratioSpec: spec, Verdict: "n/a"}
		num, den := r.rows(spec.Num[0], spec.Num[1]), r.rows(spec.Den[0], spec.Den[1])
		f := func(m *measurement) float64 { return metric(m, spec.Metric) }
		if len(num) > 0 && len(den) > 0 && medianOf(den, f) > 0 {
			res.Value = medianOf(num, f) / medianOf(den, f)
			res.Min, res.Max = res.Value, res.Value
			for _, n := range num {
				for _, d := range den {
					if n.Round == d.Round && f(d) > 0 {
						x := f(n) / f(d)
						res.Min, res.Max = min(res.Min, x), max(res.Max, x)
					}
				}
			}
			switch {
			case spec.Target == 0:
				res.Verdict = "info"
			case spec.AtMost == (res.Value <= spec.Target):
				res.Verdict = "PASS"
			default:
				res.Verdict = "FAIL"
			}
		}
		out = append(out, res)
	}
	return out
}

// limitResult is an absolute target: start times and RSS.
type limitResult struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Spread  string  `json:"spread"`
	Target  string  `json:"target"`
	Verdict string  `json:"verdict"`
}

func (r *results) limits() []limitResult {
	var out []limitResult
	check := func(name string, ms []*measurement, f func(*measurement) float64, limit float64, unit string) {
		if len(ms) == 0 {
			out = append(out, limitResult{Name: name, Target: fmt.Sprintf("≤ %g %s", limit, unit), Verdict: "n/a"})
			return
		}
		v := medianOf(ms, f)
		lo, hi := spread(ms, f)
		verdict := "PASS"
		if v > limit {
			verdict = "FAIL"
		}
		out = append(out, limitResult{Name: name, Value: v, Spread: fmt.Sprintf("%.1f–%.1f", lo, hi),
			Target: fmt.Sprintf("≤ %g %s", limit, unit), Verdict: verdict})
	}
	value := func(m *measurement) float64 { return m.Value }
	rss := func(m *measurement) float64 { return m.RSS }
	check("start to ready, restart (ms)", r.rows("start", "portcullis restart"), value, 100, "ms")
	check("start to ready, fresh store (ms)", r.rows("start", "portcullis fresh"), value, 300, "ms")
	check("idle RSS 2 s after ready (MiB)", r.rows("start", "portcullis restart"), rss, 25, "MiB")
	// RSS after load: the largest after any load round of Portcullis.
	var loaded []*measurement
	for _, m := range r.all {
		if (m.Target == tPortcullis || m.Target == tGateway) && m.Scenario != "start" {
			loaded = append(loaded, m)
		}
	}
	if len(loaded) > 0 {
		top := slices.MaxFunc(loaded, func(a, b *measurement) int { return cmpF(a.RSS, b.RSS) })
		check("max RSS after load (MiB)", []*measurement{top}, rss, 64, "MiB")
	}
	// Growth: the long-lived process's RSS after its last round against
	// its first, 10% allowed for noise.
	if g := r.rows("rss", tPortcullis); len(g) > 1 {
		first, last := g[0].RSS, g[len(g)-1].RSS
		verdict := "PASS"
		if last > first*1.10 {
			verdict = "FAIL"
		}
		out = append(out, limitResult{Name: "RSS growth across rounds, one process (MiB)", Value: last - first,
			Spread: fmt.Sprintf("%.1f → %.1f", first, last), Target: "≤ 10% of the first round's", Verdict: verdict})
	}
	return out
}

func spread(ms []*measurement, f func(*measurement) float64) (lo, hi float64) {
	for i, m := range ms {
		if v := f(m); i == 0 || v < lo {
			lo = v
		}
		if v := f(m); i == 0 || v > hi {
			hi = v
		}
	}
	return lo, hi
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// print writes the markdown tables.
func (r *results) print(w io.Writer, rounds int) {
	fmt.Fprintf(w, "\n### Load (medians of %d round(s); req/s spread min–max)\n\n", rounds)
	fmt.Fprintln(w, "| scenario | target | req/s | req/s min–max | CPU µs/req | p50 ms | p99 ms | RSS after MiB | errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	type key struct{ s, t string }
	var seen []key
	for _, m := range r.all {
		k := key{m.Scenario, m.Target}
		if m.Scenario == "start" || m.Scenario == "rss" || slices.Contains(seen, k) {
			continue
		}
		seen = append(seen, k)
		ms := r.rows(k.s, k.t)
		lo, hi := spread(ms, func(m *measurement) float64 { return m.RPS })
		var errs int64
		for _, m := range ms {
			errs += m.Errors + m.BadBodies
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %.0f–%.0f | %.0f | %.2f | %.2f | %.1f | %d |\n", k.s, k.t,
			medianOf(ms, func(m *measurement) float64 { return m.RPS }), lo, hi,
			medianOf(ms, func(m *measurement) float64 { return m.CPUPerReq }),
			medianOf(ms, func(m *measurement) float64 { return m.P50 }),
			medianOf(ms, func(m *measurement) float64 { return m.P99 }),
			medianOf(ms, func(m *measurement) float64 { return m.RSS }), errs)
	}
	if starts := r.startRows(); len(starts) > 0 {
		fmt.Fprintf(w, "\n### Start (median of %d starts per round, then of the rounds)\n\n", startRepeats)
		fmt.Fprintln(w, "| target | start to ready ms | min–max ms | idle RSS MiB |")
		fmt.Fprintln(w, "|---|---:|---:|---:|")
		for _, t := range starts {
			ms := r.rows("start", t)
			lo, hi := spread(ms, func(m *measurement) float64 { return m.Value })
			fmt.Fprintf(w, "| %s | %.1f | %.1f–%.1f | %.1f |\n", t,
				medianOf(ms, func(m *measurement) float64 { return m.Value }), lo, hi,
				medianOf(ms, func(m *measurement) float64 { return m.RSS }))
		}
	}
	if g := r.rows("rss", tPortcullis); len(g) > 0 {
		fmt.Fprint(w, "\n### RSS of one Portcullis process after each load round\n\n")
		fmt.Fprintln(w, "| round | RSS MiB | load |")
		fmt.Fprintln(w, "|---:|---:|---|")
		for _, m := range g {
			fmt.Fprintf(w, "| %d | %.1f | %s |\n", m.Round, m.RSS, m.Note)
		}
	}
	fmt.Fprint(w, "\n### Ratios (from the medians; spread = min–max of the per-round ratios)\n\n")
	fmt.Fprintln(w, "| ratio | value | spread | target | result |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	for _, x := range r.ratios() {
		target := "—"
		if x.Target != 0 {
			op := "≥"
			if x.AtMost {
				op = "≤"
			}
			target = fmt.Sprintf("%s %gx", op, x.Target)
		}
		if x.Verdict == "n/a" {
			fmt.Fprintf(w, "| %s | n/a | | %s | n/a |\n", x.Name, target)
			continue
		}
		fmt.Fprintf(w, "| %s | %.2fx | %.2f–%.2f | %s | %s |\n", x.Name, x.Value, x.Min, x.Max, target, x.Verdict)
	}
	for _, l := range r.limits() {
		if l.Verdict == "n/a" {
			fmt.Fprintf(w, "| %s | n/a | | %s | n/a |\n", l.Name, l.Target)
			continue
		}
		fmt.Fprintf(w, "| %s | %.1f | %s | %s | %s |\n", l.Name, l.Value, l.Spread, l.Target, l.Verdict)
	}
	var notes []string
	for _, m := range r.all {
		if m.Note != "" && m.Scenario != "rss" {
			notes = append(notes, fmt.Sprintf("- %s / %s round %d: %d errors, %d bad bodies, statuses %v; first: %s",
				m.Scenario, m.Target, m.Round, m.Errors, m.BadBodies, m.Status, m.Note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprint(w, "\n### Errors\n\n")
		fmt.Fprintln(w, strings.Join(notes, "\n"))
	}
}

func (r *results) startRows() []string {
	var out []string
	for _, m := range r.all {
		if m.Scenario == "start" && !slices.Contains(out, m.Target) {
			out = append(out, m.Target)
		}
	}
	return out
}
