package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

const composeDir = "../../examples/compose"

// composeFile is the part of compose.yaml the test checks.
type composeFile struct {
	Services map[string]struct {
		Build       string            `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Networks    map[string]struct {
			IPv4Address string `yaml:"ipv4_address"`
		} `yaml:"networks"`
	} `yaml:"services"`
}

var envRef = regexp.MustCompile(`\$\{(\w+)`)

// TestComposeExampleWiring checks what of examples/compose/compose.yaml
// holds without a Docker daemon, which CI lacks: both instances build the
// Dockerfile and mount portcullis.yaml where the image's command reads it,
// set every variable it uses, and trust the proxy's fixed address; .env.example
// names every variable compose.yaml requires.
func TestComposeExampleWiring(t *testing.T) {
	var cf composeFile
	if err := yaml.Unmarshal(read(t, "compose.yaml"), &cf); err != nil {
		t.Fatal(err)
	}
	conf := string(read(t, "portcullis.yaml"))
	env := string(read(t, ".env.example"))
	proxyIP := cf.Services["proxy"].Networks["default"].IPv4Address
	for _, name := range []string{"portcullis-a", "portcullis-b"} {
		s := cf.Services[name]
		for _, c := range []struct {
			name string
			ok   bool
		}{
			{"builds the Dockerfile at the repository's root", s.Build == "../.."},
			{"mounts portcullis.yaml at " + configPath, slices.Contains(s.Volumes, "./portcullis.yaml:"+configPath+":ro")},
			{"trusts the proxy's address " + proxyIP, proxyIP != "" && strings.Contains(conf, "trusted_proxies: ["+proxyIP+"]")},
		} {
			if !c.ok {
				t.Errorf("%s: not true: %s", name, c.name)
			}
		}
		for _, m := range envRef.FindAllStringSubmatch(conf, -1) {
			if _, ok := s.Environment[m[1]]; !ok {
				t.Errorf("%s: portcullis.yaml uses ${%s}, which compose.yaml does not set", name, m[1])
			}
		}
		for v, val := range s.Environment {
			for _, m := range envRef.FindAllStringSubmatch(val, -1) {
				if !strings.Contains(env, "\n"+m[1]+"=") && !strings.HasPrefix(env, m[1]+"=") {
					t.Errorf("%s: %s uses ${%s}, which .env.example does not set", name, v, m[1])
				}
			}
		}
	}
}

// TestComposeExampleRuns runs the Compose example's portcullis.yaml and
// nginx.conf as they are, but for addresses: two instances from the
// unpacked image (chrooted, as its user) on PostgreSQL and Redis, behind
// nginx, and checks that tokens issued through the proxy are known to both
// instances. Compose itself, its network and its DNS names are not run:
// the instances and nginx listen on free loopback ports instead.
func TestComposeExampleRuns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the instances run chrooted into the image as its user, which needs root")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed (apt-get install nginx): it is the example's proxy")
	}
	redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
	if redisURL == "" {
		t.Skip("PORTCULLIS_TEST_REDIS not set: set it to a Redis URL, for example redis://127.0.0.1:6379/0")
	}
	dsn := pgtest.FreshSchema(t)
	img, _ := releaseImage(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "compose-test-secret-with-at-least-32-characters"
	env := []string{"DATABASE_URL=" + dsn, "REDIS_URL=" + redisURL, "DEMO_CLIENT_SECRET=" + secret,
		"PORTCULLIS_KEK=" + strings.Repeat("ab", 32)}
	upstream := map[string]string{}
	var bases []string
	for _, name := range []string{"portcullis-a", "portcullis-b"} {
		port, opsPort := freePort(t), freePort(t)
		conf := replaceAll(t, string(read(t, "portcullis.yaml")),
			"0.0.0.0:8080", fmt.Sprintf("127.0.0.1:%d", port),
			"0.0.0.0:9090", fmt.Sprintf("127.0.0.1:%d", opsPort))
		root := unpack(t, img)
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(configPath)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, configPath), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := imageCommand(t, root, cf.Config)
		cmd.Env = append(cmd.Env, env...)
		start(t, name, cmd)
		upstream[name+":8080"] = fmt.Sprintf("127.0.0.1:%d", port)
		bases = append(bases, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	proxy := fmt.Sprintf("http://127.0.0.1:%d", startNginx(t, nginx, upstream))

	for i, base := range bases {
		if status := waitReady(base + "/readyz"); status != http.StatusOK {
			t.Fatalf("instance %d: /readyz answered %d, want 200", i, status)
		}
		var checks map[string]string
		if err := json.Unmarshal(get(t, base+"/readyz"), &checks); err != nil {
			t.Fatal(err)
		}
		if checks["redis"] != "ok" || checks["keys_at_rest"] != "encrypted" {
			t.Errorf("instance %d: /readyz = %v, want redis ok and keys_at_rest encrypted", i, checks)
		}
	}
	for i := range 4 { // nginx alternates, so both instances issue some
		tok := postForm(t, proxy+"/token", secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}})["access_token"]
		for j, base := range bases {
			if got := postForm(t, base+"/introspect", secret, url.Values{"token": {fmt.Sprint(tok)}}); got["active"] != true {
				t.Errorf("token %d issued through the proxy: introspection at instance %d = %v, want active", i, j, got)
			}
		}
	}
}

// start starts cmd in a process group of its own and kills the group when
// the test ends (nginx's workers outlive a killed master), logging its
// output if the test failed.
func start(t *testing.T, name string, cmd *exec.Cmd) {
	t.Helper()
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", name, logs.String())
		}
	})
}

// startNginx runs nginx with the example's nginx.conf, its upstreams and
// port replaced, and returns the port it listens on.
func startNginx(t *testing.T, nginx string, upstream map[string]string) int {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	pairs := []string{"listen 8080;", fmt.Sprintf("listen 127.0.0.1:%d;", port)}
	for from, to := range upstream {
		pairs = append(pairs, from, to)
	}
	site := replaceAll(t, string(read(t, "nginx.conf")), pairs...)
	if err := os.WriteFile(filepath.Join(dir, "default.conf"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the nginx image's own nginx.conf provides around conf.d.
	main := fmt.Sprintf(`daemon off;
pid %[1]s/nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    include %[1]s/default.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, "nginx", exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf")))
	return port
}

// replaceAll replaces each old with its new in s, failing when an old is
// missing: the example changed, and the test must follow.
func replaceAll(t *testing.T, s string, oldnew ...string) string {
	t.Helper()
	for i := 0; i < len(oldnew); i += 2 {
		if !strings.Contains(s, oldnew[i]) {
			t.Fatalf("the example no longer has %q", oldnew[i])
		}
		s = strings.ReplaceAll(s, oldnew[i], oldnew[i+1])
	}
	return s
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(composeDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postForm posts form to url as the example's demo client and returns the
// JSON answer, failing unless it is 200.
func postForm(t *testing.T, url, secret string, form url.Values) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v %v", url, resp.StatusCode, body, err)
	}
	return body
}
