package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// env is what every scenario shares.
type env struct {
	tmp        string // the run's folder, removed at the end
	self       string // this binary, which is also the floors
	portcullis string // the portcullis binary built for the run
	nodeDir    string // bench/node
	nodeSkip   string // why the oidc-provider targets cannot run, or ""
	conns      int
	duration   time.Duration
	warmup     time.Duration
	client     *http.Client
}

// pinnedEnv marks the harness already re-executed under taskset.
const pinnedEnv = "PORTCULLIS_BENCH_PINNED"

// allScenarios are the -only names, in run order.
var allScenarios = []string{"token", "introspect", "jwks", "gateway", "start", "rss"}

func main() {
	if floorMain() {
		return
	}
	rounds := flag.Int("rounds", 3, "rounds; each runs every scenario's targets once, in the same order")
	duration := flag.Duration("duration", 10*time.Second, "length of each measurement")
	warmup := flag.Duration("warmup", 2*time.Second, "load before each measurement, not counted")
	conns := flag.Int("conns", 32, "concurrent keep-alive connections of the load generator")
	only := flag.String("only", "", "comma list of scenarios to run: "+strings.Join(allScenarios, ",")+" (default all)")
	out := flag.String("out", "", "write the measurements and ratios as JSON to this file")
	store := flag.String("store", "sqlite", "sqlite, or postgres to add three instances on PostgreSQL and Redis")
	quick := flag.Bool("quick", false, "a short run: -rounds 1 -duration 3s -warmup 1s unless given")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		if !set["rounds"] {
			*rounds = 1
		}
		if !set["duration"] {
			*duration = 3 * time.Second
		}
		if !set["warmup"] {
			*warmup = time.Second
		}
	}
	if *store != "sqlite" && *store != "postgres" {
		fatalf("-store %q: want sqlite or postgres", *store)
	}
	scenarios := allScenarios
	if *only != "" {
		scenarios = strings.Split(*only, ",")
		for _, s := range scenarios {
			if !slices.Contains(allScenarios, s) {
				fatalf("-only: unknown scenario %q (want %s)", s, strings.Join(allScenarios, ","))
			}
		}
	}
	pin()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, err := setup(ctx, *conns, *duration, *warmup)
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(e.tmp)

	began := time.Now()
	res := &results{}
	skipped := map[string]bool{}
	do := func(what string, round int, f func() ([]*measurement, error)) {
		if ctx.Err() != nil {
			return
		}
		ms, err := f()
		var skip errSkip
		switch {
		case errors.As(err, &skip):
			if !skipped[err.Error()] {
				skipped[err.Error()] = true
				logf("skipped: %v", err)
			}
			return
		case err != nil:
			logf("%s, round %d: %v", what, round, err)
			return
		}
		for _, m := range ms {
			if m.Round == 0 {
				m.Round = round
			}
			logf("round %d %-10s %-24s %8.0f req/s %7.0f µs CPU/req  p99 %6.2f ms  RSS %5.1f MiB%s",
				round, m.Scenario, m.Target, m.RPS, m.CPUPerReq, m.P99, m.RSS, startNote(m))
		}
		res.add(ms...)
	}
	for round := 1; round <= *rounds; round++ {
		for _, sc := range loadScenarios {
			if !slices.Contains(scenarios, sc.name) {
				continue
			}
			for _, target := range sc.targets {
				do(sc.name+" "+target, round, func() ([]*measurement, error) {
					m, err := sc.run(ctx, e, target)
					if m != nil {
						m.Scenario, m.Target = sc.name, target
						return []*measurement{m}, err
					}
					return nil, err
				})
			}
		}
		if *store == "postgres" {
			do("postgres", round, func() ([]*measurement, error) { return runPostgres(ctx, e) })
		}
		if slices.Contains(scenarios, "start") {
			do("start", round, func() ([]*measurement, error) { return runStart(ctx, e) })
		}
	}
	if slices.Contains(scenarios, "rss") {
		do("rss", 0, func() ([]*measurement, error) { return runRSS(ctx, e, *rounds) })
	}

	fmt.Printf("\n## Portcullis bench: %s, %d round(s) × %v (+%v warm-up), %d connections, store %s, %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), *rounds, *duration, *warmup, *conns, *store, pinNote())
	res.print(os.Stdout, *rounds)
	fmt.Printf("\n(ran %v)\n", time.Since(began).Round(time.Second))
	if *out != "" {
		b, _ := json.MarshalIndent(map[string]any{
			"rounds": *rounds, "duration": duration.String(), "warmup": warmup.String(), "conns": *conns,
			"store": *store, "pinned": pinning, "measurements": res.all, "ratios": res.ratios(), "limits": res.limits(),
		}, "", "  ")
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			fatalf("%v", err)
		}
	}
}

func startNote(m *measurement) string {
	if m.Scenario == "start" {
		return fmt.Sprintf("  start %.1f ms", m.Value)
	}
	return ""
}

// pin re-executes the harness under taskset on the load generator's core,
// so that all its threads (and the upstream it starts) stay off the
// servers' core. With one core nothing is pinned.
func pin() {
	if os.Getenv(pinnedEnv) == "1" {
		return
	}
	if runtime.NumCPU() < 2 {
		pinning = false
		logf("one core: servers and load generator are not pinned, and share it")
		return
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		pinning = false
		logf("taskset not found (util-linux): servers and load generator are not pinned")
		return
	}
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	cmd := exec.Command("taskset", append([]string{"-c", strconv.Itoa(loadCPU), self}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), pinnedEnv+"=1")
	signal.Ignore(os.Interrupt) // the child gets it too, and cleans up
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	} else if err != nil {
		fatalf("%v", err)
	}
	os.Exit(0)
}

func pinNote() string {
	if !pinning {
		return "not pinned"
	}
	return fmt.Sprintf("servers on CPU %d, load generator on CPU %d", serverCPU, loadCPU)
}

// setup builds Portcullis, finds this binary and prepares bench/node.
func setup(ctx context.Context, conns int, duration, warmup time.Duration) (*env, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "portcullis-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{
		tmp: tmp, portcullis: filepath.Join(tmp, "portcullis"), nodeDir: filepath.Join(root, "bench", "node"),
		conns: conns, duration: duration, warmup: warmup, client: newClient(conns),
	}
	if e.self, err = os.Executable(); err != nil {
		return nil, err
	}
	// As build/release and the Dockerfile build it: what users run.
	logf("building portcullis as released (CGO_ENABLED=0, -trimpath, -s -w)")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", e.portcullis, "./cmd/portcullis")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("go build ./cmd/portcullis: %v\n%s", err, out)
	}
	if e.nodeSkip = nodeSetup(e.nodeDir); e.nodeSkip != "" {
		logf("%s", e.nodeSkip)
	}
	return e, nil
}

// moduleRoot is the Portcullis module's folder: this one or a parent.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/portcullis/portcullis\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from the Portcullis repository (no go.mod of github.com/portcullis/portcullis here or above)")
		}
		dir = parent
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func fatalf(format string, args ...any) {
	logf(format, args...)
	os.Exit(1)
}
