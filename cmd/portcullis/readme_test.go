package main

import (
	"bufio"
	"bytes"
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// readmeWalkthroughs are the README sections whose shell blocks a reader
// runs against portcullis dev: each of their sh blocks must be marked, so
// a block added there is tested or the test fails.
var readmeWalkthroughs = []string{"Your first token", "DPoP for Go clients", "Signing people in", "Protect an API", "Management API"}

var (
	// devExport is one of the banner's lines a shell can eval.
	devExport = regexp.MustCompile(`(?m)^ *(export [A-Z_]+=[A-Za-z0-9_-]+)$`)
	// hiddenInput is a hidden field of the sign-in pages' forms.
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	// callbackNext is the command the demo web client's page shows.
	callbackNext = regexp.MustCompile(`(?s)<pre id="next">(.*?)</pre>`)
)

// TestReadme runs the README's marked blocks, in order, as a reader would:
// against the built portcullis dev, in bash, with the banner's export lines
// evaluated and portcullis on the PATH, checking each block's output
// against its marker. A block to open in a browser is signed in to with a
// cookie jar instead, and the page it lands on must show the command of
// the README's next block.
func TestReadme(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's commands need %s: %v", tool, err)
		}
	}
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(doc))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	var marked []readmeBlock
	for _, b := range blocks {
		if b.lang == "sh" && !b.marked && slices.Contains(readmeWalkthroughs, b.section) {
			t.Errorf("README.md:%d: a shell block of %q has no readme-test marker", b.line, b.section)
		}
		if b.marked {
			marked = append(marked, b)
		}
	}
	if len(marked) < len(readmeWalkthroughs) {
		t.Fatalf("README.md has %d marked blocks, fewer than its walk-throughs", len(marked))
	}
	banner, _ := startDev(t)
	exports := devExports(t, banner)
	dir := t.TempDir() // the reader's working directory, where dpop.pem goes
	env := append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var shown string // the command the last page opened shows, to be run next
	for _, b := range marked {
		if b.open != "" {
			shown = signInAt(t, b, exports)
			continue
		}
		script := b.body
		if shown != "" {
			// The page shows the README's command with its first line (CODE=...) filled in.
			_, rest, _ := strings.Cut(b.body, "\n")
			_, shownRest, _ := strings.Cut(shown, "\n")
			if rest != shownRest || !strings.HasPrefix(shown, "CODE=") {
				t.Fatalf("README.md:%d: the callback page shows\n%s\nnot the README's\n%s", b.line, shown, b.body)
			}
			script, shown = shown, ""
		}
		out := runReadmeBlock(t, b, dir, env, exports+"\n"+script)
		at := 0
		for _, want := range b.expect {
			i := strings.Index(out[at:], want)
			if i < 0 {
				t.Fatalf("README.md:%d (%s): the output has no %q after what came before:\n%s", b.line, b.section, want, out)
			}
			at += i + len(want)
		}
	}
}

// startDev starts the built portcullis dev, waits until its listeners
// answer, and returns its banner and its process (killed when the test
// ends). It skips when one of the stack's fixed ports is taken.
func startDev(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	for _, addr := range []string{devIssuer[len("http://"):], devAgent, devGate, devAPI, devApp, devOps, devUpstream} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("%s is taken, so portcullis dev cannot start here: %v", addr, err)
		}
		ln.Close()
	}
	srv := exec.Command(binary, "dev")
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(banner.String(), devBannerEnd) {
		banner.WriteString(sc.Text() + "\n")
	}
	go io.Copy(io.Discard, stdout)
	waitReady(t, devIssuer)
	// The example API and app start once the issuer listens.
	for _, u := range []string{"http://" + devAPI + "/users", "http://" + devApp + "/"} {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s does not answer: %v", u, err)
			}
		}
	}
	return banner.String(), srv
}

// devExports is the banner's export lines, checked to set what the
// README's commands use.
func devExports(t *testing.T, banner string) string {
	t.Helper()
	var lines []string
	for _, m := range devExport.FindAllStringSubmatch(banner, -1) {
		lines = append(lines, m[1])
	}
	all := strings.Join(lines, "\n")
	for _, name := range []string{"DEMO_PASSWORD", "DEMO_CLIENT_SECRET", "DEMO_DPOP_SECRET", "DEMO_WEB_SECRET", "DEMO_ADMIN_SECRET"} {
		if !strings.Contains(all, "export "+name+"=") {
			t.Fatalf("the banner exports no %s:\n%s", name, banner)
		}
	}
	return all
}

// runReadmeBlock runs script with bash in dir, failing on the first
// command that fails, and returns its standard output.
func runReadmeBlock(t *testing.T, b readmeBlock, dir string, env []string, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("README.md:%d (%s): %v\n%s\n%s", b.line, b.section, err, out.String(), errs.String())
	}
	return out.String()
}

// signInAt opens the block's URL as a browser would, signs in as demo with
// the exported password, allows, and returns the command that the page it
// lands on shows.
func signInAt(t *testing.T, b readmeBlock, exports string) string {
	t.Helper()
	_, password, _ := strings.Cut(exports[strings.Index(exports, "DEMO_PASSWORD="):], "=")
	password, _, _ = strings.Cut(password, "\n")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := func(resp *http.Response, err error) (*url.URL, string) {
		t.Helper()
		if err != nil {
			t.Fatalf("README.md:%d: %v", b.line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("README.md:%d: %s answers %d:\n%s", b.line, resp.Request.URL, resp.StatusCode, body)
		}
		return resp.Request.URL, string(body)
	}
	submit := func(at *url.URL, body, action string, form url.Values) (*url.URL, string) {
		for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
			form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
		}
		return page(browser.PostForm(at.ResolveReference(&url.URL{Path: action}).String(), form))
	}
	at, body := page(browser.Get(strings.TrimSpace(b.body)))
	at, body = submit(at, body, "login", url.Values{"username": {"demo"}, "password": {password}})
	at, body = submit(at, body, "consent", url.Values{"decision": {"allow"}})
	code := at.Query().Get("code")
	m := callbackNext.FindStringSubmatch(body)
	if code == "" || m == nil {
		t.Fatalf("README.md:%d: the sign-in ends at %s, a page without the code and the next command:\n%s", b.line, at, body)
	}
	shown := html.UnescapeString(m[1])
	if !strings.HasPrefix(shown, "CODE="+code+"\n") {
		t.Fatalf("README.md:%d: the page shows\n%s\nnot the code %s", b.line, shown, code)
	}
	return shown
}
