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
	cfg, cleanup, err := devConfig(&out)
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
	m, cmdLine := devDPoPSecret.FindStringSubmatch(banner), devProofCmd.FindStringSubmatch(banner)
	if m == nil || cmdLine == nil {
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
	// The banner's command, in a folder of its own for dpop.pem.
	var proof, notes bytes.Buffer
	cmd := exec.Command(binary, strings.Fields(cmdLine[1])...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = t.TempDir(), &proof, &notes
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v %s", cmdLine[1], err, notes.String())
	}
	jkt, _, _ := strings.Cut(strings.TrimPrefix(notes.String(), "jkt "), " ")
	status, body := token(strings.TrimSpace(proof.String()))
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
