package chart

import (
	"encoding/xml"
	"flag"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/usage"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg from the charts drawn now")

// chartCase is one chart of the golden and table tests.
type chartCase struct {
	name  string
	chart Chart
}

// chartCases are every chart the golden and table tests draw: the
// overview's charts from fixed reports, and the edge cases.
func chartCases() []chartCase {
	day, week := Last24Hours(now), Last30Days(now)
	hourly, daily := hourlyReport(), dailyReport()
	start := time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC)
	return []chartCase{
		{"activity-24h", day.Activity(hourly).Chart("activity-24h")},
		{"activity-30d", week.Activity(daily).Chart("activity-30d")},
		{"top-clients-calls", day.TopClientsByCalls(hourly, 5).Chart("top-calls")},
		{"top-clients-tokens", week.TopClientsByTokens(daily, 5).Chart("top-tokens")},
		{"refusals", day.Refusals(hourly).Chart("refusals")},
		{"no-data-time", Time{Title: "Tokens issued, last 24 hours"}.Chart("none")},
		{"no-data-bars", day.Refusals(usage.Report{Rows: []usage.Row{
			{Period: now.Truncate(time.Hour), ClientID: "web", APICalls: map[string]int64{"allowed": 5}},
		}}).Chart("no-refusals")},
		{"one-point", Time{Title: "One hour", Start: start, Step: time.Hour,
			Series: []Series{{Name: "API calls", Values: []int64{42}}}}.Chart("one")},
		{"all-zeros", day.Activity(usage.Report{}).Chart("zeros")},
		{"huge-value", Time{Title: "Huge", Start: start, Step: 24 * time.Hour, Series: []Series{
			{Name: "API calls", Values: []int64{0, 9_876_543_210, 123_456_789, 4_000_000_000}},
		}}.Chart("huge")},
		{"long-labels", Bars{Title: "Long", Label: "Client", Value: "API calls", Bars: []Bar{
			{Label: strings.Repeat("an-application-with-a-very-long-client-id-", 3), Value: 12345},
			{Label: "short", Value: 7},
		}}.Chart("long")},
		{"escaped-labels", Bars{Title: `<b>"Top" & co</b>`, Label: "Client", Value: "API calls", Bars: []Bar{
			{Label: `<script>alert("x")</script>`, Value: 3},
			{Label: `a&b "quoted" 'single' <tag>`, Value: 2},
		}}.Chart(`id with "quotes" & <spaces>`)},
		{"three-series", Time{Title: "Three", Start: start, Step: time.Hour, Series: []Series{
			{Name: "Tokens issued", Values: []int64{3, 5, 2, 8}},
			{Name: "API calls", Values: []int64{10, 12, 9, 15}},
			{Name: "Introspections", Values: []int64{1, 0}},
		}}.Chart("three")},
		{"escaped-series", Time{Title: `Calls & "tokens" <now>`, Start: start, Step: time.Hour, Series: []Series{
			{Name: `<i>calls</i> & "more"`, Values: []int64{1, 2, 3}},
		}}.Chart("escaped-series")},
	}
}

func TestGolden(t *testing.T) {
	for _, c := range chartCases() {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join("testdata", c.name+".svg")
			got := string(c.chart.SVG)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the chart drawn now (run with -update if the change is meant):\n%s", path, got)
			}
		})
	}
}

// TestAccessible checks what every chart needs to be read without being
// seen: well-formed SVG, role="img", a <title> and a <desc> that
// aria-labelledby names, a width of 100% and a viewBox, and no element
// or attribute that input could have smuggled in.
func TestAccessible(t *testing.T) {
	for _, c := range chartCases() {
		t.Run(c.name, func(t *testing.T) {
			svg := parseSVG(t, c.chart.SVG)
			if svg.attr("role") != "img" || svg.attr("width") != "100%" || svg.attr("viewBox") == "" {
				t.Errorf("svg attributes %v: want role img, width 100%% and a viewBox", svg.Attrs)
			}
			ids := strings.Fields(svg.attr("aria-labelledby"))
			if len(ids) != 2 {
				t.Fatalf("aria-labelledby %q: want the title's and the description's IDs", svg.attr("aria-labelledby"))
			}
			for i, name := range []string{"title", "desc"} {
				el := svg.child(name)
				if el == nil || el.attr("id") != ids[i] || strings.TrimSpace(el.Text) == "" {
					t.Errorf("<%s> %+v: want a non-empty one with id %q", name, el, ids[i])
				}
			}
			svg.walk(func(e *element) {
				switch e.XMLName.Local {
				case "script", "foreignObject", "a", "b", "i", "tag", "image", "use":
					t.Errorf("element <%s> in the chart", e.XMLName.Local)
				}
				for _, a := range e.Attrs {
					if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || a.Name.Local == "href" {
						t.Errorf("attribute %s on <%s>", a.Name.Local, e.XMLName.Local)
					}
				}
			})
		})
	}
}

// TestLabelsEscaped checks that labels with markup characters come back
// as the same text, and that a cut label's full text is in its <title>.
func TestLabelsEscaped(t *testing.T) {
	cases := chartCases()
	find := func(name string) Chart {
		for _, c := range cases {
			if c.name == name {
				return c.chart
			}
		}
		t.Fatalf("no case %s", name)
		return Chart{}
	}
	tests := []struct {
		name, chart, want string
	}{
		{"title", "escaped-labels", `<b>"Top" & co</b>`},
		{"bar label", "escaped-labels", `<script>alert("x")</script>`},
		{"quotes", "escaped-labels", `a&b "quoted" 'single' <tag>`},
		{"series name", "escaped-series", `<i>calls</i> & "more"`},
		{"long label in title", "long-labels", strings.Repeat("an-application-with-a-very-long-client-id-", 3) + ": 12,345 API calls"},
		{"long label cut", "long-labels", "an-application-with-a-very-long-client-id-an-…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := false
			parseSVG(t, find(tt.chart).SVG).walk(func(e *element) {
				found = found || e.Text == tt.want
			})
			if !found {
				t.Errorf("no element of %s holds the text %q", tt.chart, tt.want)
			}
		})
	}
}

// element is an XML element as the tests read it back.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []element  `xml:",any"`
}

func (e *element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e *element) child(name string) *element {
	for i := range e.Children {
		if e.Children[i].XMLName.Local == name {
			return &e.Children[i]
		}
	}
	return nil
}

func (e *element) walk(f func(*element)) {
	f(e)
	for i := range e.Children {
		e.Children[i].walk(f)
	}
}

// parseSVG reads back a chart's SVG or table, which must be well-formed
// XML as well as HTML.
func parseSVG(t *testing.T, s template.HTML) *element {
	t.Helper()
	var e element
	if err := xml.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, s)
	}
	return &e
}
