package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// readmeBlock is a fenced block of README.md, with what its readme-test
// marker (an HTML comment just before it) says about it.
type readmeBlock struct {
	section string // the nearest heading above it
	line    int    // of the opening fence, counting from 1
	lang    string // after the opening fence: sh, yaml, or empty
	fence   string // the opening fence's backticks, which close it
	body    string
	marked  bool
	expect  []string // texts the output must contain, in this order
	open    string   // set when the block is a URL for a browser: what to do there
}

// readmeBlocks reads the fenced blocks of a Markdown document and their
// markers:
//
//	<!-- readme-test
//	expect: "active":true
//	open: sign in as demo and allow
//	-->
//
// A marker must be followed at once by a fenced block, and says nothing
// but expect: and open: lines, so a typo fails the test instead of
// silently leaving a block unchecked.
func readmeBlocks(doc string) ([]readmeBlock, error) {
	var (
		blocks  []readmeBlock
		section string
		pending *readmeBlock // a marker read, its block not yet
		fenced  *readmeBlock
		inMark  bool
	)
	for i, line := range strings.Split(doc, "\n") {
		n := i + 1
		switch {
		case fenced != nil:
			if line == fenced.fence {
				fenced.body = strings.TrimSuffix(fenced.body, "\n")
				blocks = append(blocks, *fenced)
				fenced = nil
			} else {
				fenced.body += line + "\n"
			}
		case inMark:
			if line == "-->" {
				inMark = false
				continue
			}
			key, val, _ := strings.Cut(line, ": ")
			switch key {
			case "expect":
				pending.expect = append(pending.expect, val)
			case "open":
				pending.open = val
			default:
				return nil, fmt.Errorf("line %d: a readme-test marker says %q; it knows expect: and open:", n, line)
			}
		case line == "<!-- readme-test":
			pending, inMark = &readmeBlock{marked: true}, true
		case strings.HasPrefix(line, "```"):
			lang := strings.TrimLeft(line, "`")
			b := readmeBlock{section: section, line: n, lang: lang, fence: strings.TrimSuffix(line, lang)}
			if pending != nil {
				b.marked, b.expect, b.open = true, pending.expect, pending.open
				pending = nil
			}
			fenced = &b
		case pending != nil:
			return nil, fmt.Errorf("line %d: a readme-test marker is not followed by a fenced block", n)
		case strings.HasPrefix(line, "#"):
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
	}
	if fenced != nil || pending != nil || inMark {
		return nil, fmt.Errorf("the document ends inside a block or a marker")
	}
	return blocks, nil
}

func TestReadmeBlocks(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []readmeBlock
		wantErr string
	}{
		{
			name: "marked and unmarked",
			doc:  "## A\n<!-- readme-test\nexpect: \"active\":true\nexpect: b\n-->\n```sh\necho a\necho b\n```\n### B\n```yaml\nx: 1\n```\n",
			want: []readmeBlock{
				{section: "A", line: 6, lang: "sh", body: "echo a\necho b", marked: true, expect: []string{`"active":true`, "b"}},
				{section: "B", line: 11, lang: "yaml", body: "x: 1"},
			},
		},
		{
			name: "open",
			doc:  "# S\n<!-- readme-test\nopen: sign in\n-->\n```\nhttp://x/\n```\n",
			want: []readmeBlock{{section: "S", line: 5, body: "http://x/", marked: true, open: "sign in"}},
		},
		{
			name: "a longer fence holds a shorter one",
			doc:  "````\n<!-- readme-test\n```sh\n```\n````\n",
			want: []readmeBlock{{line: 1, body: "<!-- readme-test\n```sh\n```"}},
		},
		{name: "unknown directive", doc: "<!-- readme-test\nexpcet: x\n-->\n```sh\n```\n", wantErr: "it knows expect: and open:"},
		{name: "marker without block", doc: "<!-- readme-test\n-->\ntext\n```sh\n```\n", wantErr: "not followed by a fenced block"},
		{name: "unclosed block", doc: "```sh\necho\n", wantErr: "ends inside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readmeBlocks(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tt.want, func(a, b readmeBlock) bool {
				return a.section == b.section && a.line == b.line && a.lang == b.lang && a.body == b.body &&
					a.marked == b.marked && slices.Equal(a.expect, b.expect) && a.open == b.open
			}) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
