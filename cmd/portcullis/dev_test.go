package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/store"
)

// devBannerEnd is in the last line of portcullis dev's banner.
const devBannerEnd = "Go clients: package dpop"

var (
	devDPoPSecret = regexp.MustCompile(`DPoP client +demo-dpop, secret (\S+)`)
	// devProofCmd is the portcullis dpop proof command the banner's curl
	// runs, without "portcullis".
	devProofCmd = regexp.MustCompile(`\$\(portcullis (dpop proof [^)]*)\)`)
)

// The demo stack's configuration has a client whose tokens are DPoP-bound,
// and its banner says how to get one. (Parsing it needs the authorization
// server's dpop_bound_access_tokens client key.)
func TestDevConfigDPoP(t *testing.T) {
	var out bytes.Buffer
	cfg, _, cleanup, err := devConfig(&out, defaultDevStack(t))
	if err != nil {
		t.Fatalf("the demo configuration (dpop_bound_access_tokens needs the server's DPoP support): %v", err)
	}
	defer cleanup()
	banner := out.String()
	m := devDPoPSecret.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the banner names no DPoP client:\n%s", banner)
	}
	i := slices.IndexFunc(cfg.AuthServer().Clients, func(c store.Client) bool { return c.ID == "demo-dpop" })
	if i < 0 || !slices.Contains(cfg.AuthServer().Clients[i].GrantTypes, "client_credentials") {
		t.Fatalf("no demo-dpop client of the client credentials grant in %+v", cfg.AuthServer().Clients)
	}
	for _, want := range []string{
		"curl -s -u demo-dpop:" + m[1] + " -d grant_type=client_credentials",
		`-H "DPoP: $(portcullis dpop proof --key dpop.pem --method POST --url ` + devIssuer + `/token)" ` + devIssuer + "/token",
		devBannerEnd,
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner does not say %q:\n%s", want, banner)
		}
	}
}

// tryDevDPoP follows the banner of a running portcullis dev: the DPoP
// client gets no token without a proof, and one bound to the key of the
// printed portcullis dpop proof command with it.
func tryDevDPoP(t *testing.T, banner string) {
	t.Helper()
	m, cmds := devDPoPSecret.FindStringSubmatch(banner), devProofCmd.FindAllStringSubmatch(banner, -1)
	if m == nil || len(cmds) != 2 {
		t.Fatalf("the banner has no DPoP client or proof command:\n%s", banner)
	}
	secret := m[1]
	token := func(proof string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, devIssuer+"/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("demo-dpop", secret)
		if proof != "" {
			req.Header.Set(dpop.Header, proof)
		}
		return postJSON(t, req)
	}
	if status, body := token(""); status != http.StatusBadRequest || body["error"] != dpop.CodeInvalidProof {
		t.Errorf("demo-dpop without a proof: %d %v %v, want 400 %s", status, body["error"], body["token_type"], dpop.CodeInvalidProof)
	}
	// The banner's commands, in a folder of their own for dpop.pem.
	dir := t.TempDir()
	run := func(cmdLine, token string) (proof, notes string) {
		var out, errs bytes.Buffer
		cmd := exec.Command(binary, strings.Fields(strings.ReplaceAll(cmdLine, "$TOKEN", token))...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &errs
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v %s", cmdLine, err, errs.String())
		}
		return strings.TrimSpace(out.String()), errs.String()
	}
	proof, notes := run(cmds[0][1], "")
	jkt, _, _ := strings.Cut(strings.TrimPrefix(notes, "jkt "), " ")
	status, body := token(proof)
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("demo-dpop with the banner's proof: %d %v %v, want a DPoP token", status, body["error"], body["token_type"])
	}
	req, _ := http.NewRequest(http.MethodPost, devIssuer+"/introspect", strings.NewReader(url.Values{"token": {body["access_token"].(string)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-dpop", secret)
	status, info := postJSON(t, req)
	cnf, _ := info["cnf"].(map[string]any)
	if status != http.StatusOK || info["active"] != true || cnf["jkt"] != jkt {
		t.Errorf("introspection: %d active %v cnf %v, want active with cnf.jkt %s", status, info["active"], cnf, jkt)
	}
	// The API through the gateway: the token alone is refused, the
	// banner's call with a proof passes.
	at := body["access_token"].(string)
	call := func(scheme, proof string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+devGate+"/users", nil)
		req.Header.Set("Authorization", scheme+" "+at)
		if proof != "" {
			req.Header.Set(dpop.Header, proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call("Bearer", ""); got != http.StatusUnauthorized {
		t.Errorf("the bound token as a bearer token at the gateway: %d, want 401", got)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		proof, _ := run(cmds[1][1], at)
		got := call("DPoP", proof)
		if got == http.StatusOK {
			break
		}
		if got != http.StatusBadGateway || time.Now().After(deadline) {
			t.Fatalf("the banner's API call through the gateway: %d, want 200", got)
		}
	}
}

// postJSON sends req and decodes its JSON answer.
func postJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
