package agent_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
)

// Secrets of DPoP keys, for rotation tests: never a cookie key.
const (
	dpopSecret      = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	otherDPoPSecret = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
)

// thumbprint is the cnf.jkt of tokens bound to the key of secret.
func thumbprint(t testing.TB, secret string) string {
	t.Helper()
	k, err := agent.DPoPKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k.Thumbprint()
}

// TestDPoPKeyVectors: the key derived from a secret is the one
// testdata/dpop_key_vectors.js computes with Node's crypto, so that every
// instance, of any version, derives the same key.
func TestDPoPKeyVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/dpop_key_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Secret, JKT string }
	if err := json.Unmarshal(b, &vectors); err != nil || len(vectors) == 0 {
		t.Fatalf("vectors: %v", err)
	}
	for _, v := range vectors {
		k, err := agent.DPoPKey(v.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if k.Thumbprint() != v.JKT || k.Algorithm() != "ES256" {
			t.Errorf("secret %s…: %s %s, want ES256 %s", v.Secret[:8], k.Algorithm(), k.Thumbprint(), v.JKT)
		}
	}
	for _, bad := range []string{"", testKey[:62], "zz" + testKey[2:], testKey + "00"} {
		if _, err := agent.DPoPKey(bad); err == nil {
			t.Errorf("secret of %d characters: no error", len(bad))
		}
	}
}

// dpopConfig is the provider's agent with DPoP on, its keys secrets.
func dpopConfig(op *testOP, secrets ...string) agent.Config {
	cfg := op.config()
	cfg.DPoP, cfg.DPoPKeys = true, secrets
	return cfg
}

// proofs returns the thumbprints of the proofs of the provider's token
// requests so far.
func (op *testOP) tokenProofs() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	return slices.Clone(op.proofs)
}

// TestDPoPSignIn: with dpop on, the agent proves its key at the code
// exchange and at each refresh, with the nonce the provider asks for, and
// presents its bound token to userinfo with a proof.
func TestDPoPSignIn(t *testing.T) {
	op := newTestOP(t, appURL)
	op.useDPoP(t, true)
	cfg := dpopConfig(op, dpopSecret)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	jkt := thumbprint(t, dpopSecret)

	if s := b.signIn("", ""); !s.IsLoggedIn {
		t.Fatalf("sign-in: %+v", s)
	}
	if got := op.tokenProofs(); !slices.Equal(got, []string{jkt}) {
		t.Fatalf("code exchange proofs %q, want the agent's key %s", got, jkt)
	}
	op.mu.Lock()
	asked := op.nonceAsked
	op.mu.Unlock()
	if asked != 1 {
		t.Errorf("the provider asked for a nonce %d times, want once: the agent keeps it", asked)
	}
	// Concurrent calls share the key's transport: each gets a proof of
	// its own, which the provider accepts once.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if a := b.get("/userInfo"); a.status != http.StatusOK {
				t.Errorf("userInfo with a bound token: %d %s", a.status, a.body)
			}
		})
	}
	wg.Wait()
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	if got := op.tokenProofs(); !slices.Equal(got, []string{jkt, jkt}) {
		t.Errorf("proofs %q after the refresh", got)
	}
	if a := b.get("/userInfo"); a.status != http.StatusOK {
		t.Errorf("userInfo after the refresh: %d %s", a.status, a.body)
	}
}

// TestDPoPBearerAnswer: a provider that ignores the proof and answers
// bearer tokens is refused, since the operator asked for bound tokens.
func TestDPoPBearerAnswer(t *testing.T) {
	op := newTestOP(t, appURL)
	op.useDPoP(t, false)
	op.set(func(op *testOP) { op.bearerAnswer = true })
	cfg := dpopConfig(op, dpopSecret)
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	a := b.post("/login/end", map[string]string{"pageUrl": b.landing(b.start(), "", "")})
	if a.status != http.StatusBadGateway || a.code(t) != "provider_error" {
		t.Fatalf("bearer tokens for a proof: %d %s", a.status, a.body)
	}
	if b.cookie("pc-at", "/") != "" {
		t.Errorf("a session was set: %v", a.header.Values("Set-Cookie"))
	}
}

// TestDPoPDiscovery: dpop on needs a provider that advertises ES256
// proofs (RFC 9449 section 5.1), checked at start; with dpop off, the
// agent sends no proof to a provider that takes them, and keeps bearer
// tokens.
func TestDPoPDiscovery(t *testing.T) {
	op := newTestOP(t, appURL)
	if _, err := agent.New(t.Context(), dpopConfigWithListen(op), slog.New(slog.DiscardHandler)); !errors.Is(err, agent.ErrDiscovery) {
		t.Errorf("a provider without DPoP: %v, want ErrDiscovery", err)
	}
	op.useDPoP(t, false)
	cfg := op.config()
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.signIn("", "")
	if got := op.tokenProofs(); !slices.Equal(got, []string{""}) {
		t.Errorf("proofs %q with dpop off", got)
	}
	if a := b.get("/userInfo"); a.status != http.StatusOK {
		t.Errorf("userInfo: %d %s", a.status, a.body)
	}
}

func dpopConfigWithListen(op *testOP) agent.Config {
	cfg := dpopConfig(op, dpopSecret)
	cfg.Listen, cfg.CookieEncryptionKey = "127.0.0.1:0", agent.Keys{testKey}
	return cfg
}

// TestDPoPKeyRotation: agents of one deployment rotate their DPoP key
// while a browser's session goes on. With the new key first and the old
// one kept, the old key still signs for the tokens bound to it, the
// refresh included (a provider may bind the refresh token too), and new
// sessions are bound to the new key. With the old key removed, userinfo
// asks the app to refresh, and the refresh moves the session to the new
// key where the refresh token is not bound to the old one (a confidential
// client's, RFC 9449 section 5); where it is, the user signs in again.
func TestDPoPKeyRotation(t *testing.T) {
	oldJKT, newJKT := thumbprint(t, dpopSecret), thumbprint(t, otherDPoPSecret)
	for _, tt := range []struct {
		name        string
		bindRefresh bool
		// afterRemoval is the refresh's answer once the old key is gone.
		afterRemoval int
	}{
		{name: "unbound refresh tokens", afterRemoval: http.StatusNoContent},
		{name: "bound refresh tokens", bindRefresh: true, afterRemoval: http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			op := newTestOP(t, appURL)
			op.useDPoP(t, true)
			op.set(func(op *testOP) { op.bindRefresh = tt.bindRefresh })
			before, _ := startAgent(t, dpopConfig(op, dpopSecret))
			during, _ := startAgent(t, dpopConfig(op, otherDPoPSecret, dpopSecret))
			after, _ := startAgent(t, dpopConfig(op, otherDPoPSecret))

			b := newBrowser(t, before, dpopConfig(op, dpopSecret))
			b.signIn("", "")
			// The cookie jar sends the cookies to every agent on the host.
			b.agent = during
			if a := b.get("/userInfo"); a.status != http.StatusOK {
				t.Errorf("userInfo during the rotation: %d %s", a.status, a.body)
			}
			if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
				t.Errorf("refresh during the rotation: %d %s", a.status, a.body)
			}
			if a := b.get("/userInfo"); a.status != http.StatusOK {
				t.Errorf("userInfo after a refresh during the rotation: %d %s", a.status, a.body)
			}
			fresh := newBrowser(t, during, dpopConfig(op, dpopSecret))
			fresh.signIn("", "")
			if got, want := op.tokenProofs(), []string{oldJKT, oldJKT, newJKT}; !slices.Equal(got, want) {
				t.Errorf("proofs %q, want %q", got, want)
			}

			b.agent = after
			if a := b.get("/userInfo"); a.status != http.StatusUnauthorized || a.code(t) != "token_rejected" {
				t.Errorf("userInfo with a token of a removed key: %d %s", a.status, a.body)
			}
			if a := b.post("/refresh", nil); a.status != tt.afterRemoval {
				t.Fatalf("refresh after the removal: %d %s", a.status, a.body)
			}
			if got := op.tokenProofs(); got[len(got)-1] != newJKT {
				t.Errorf("the refresh after the removal proved %s, want the new key", got[len(got)-1])
			}
			if tt.afterRemoval == http.StatusNoContent {
				if a := b.get("/userInfo"); a.status != http.StatusOK {
					t.Errorf("userInfo after moving to the new key: %d %s", a.status, a.body)
				}
			}
		})
	}
}

// TestPresent: the gateway's way of forwarding the cookie's token: a
// token bound to one of the agent's keys goes under the DPoP scheme with
// a proof of that key for the request (htm, htu, ath), any other as a
// bearer token without a DPoP header; a token bound to a key the agent
// does not hold is not forwarded.
func TestPresent(t *testing.T) {
	oldJKT, newJKT := thumbprint(t, dpopSecret), thumbprint(t, otherDPoPSecret)
	const target = "https://api.example.com/users/42"
	bound := func(jkt string) string {
		claims, _ := json.Marshal(map[string]any{"sub": "alice", "cnf": map[string]string{"jkt": jkt}})
		return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
	}
	unbound := "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice"}`)) + ".c2ln"
	on := agent.CookieConfig{CookieEncryptionKey: agent.Keys{testKey}, TrustedWebOrigins: []string{mustOrigin(appURL)}, DPoP: true, DPoPKeys: agent.Keys{otherDPoPSecret, dpopSecret}}
	off := on
	off.DPoP, off.DPoPKeys = false, nil
	for _, tt := range []struct {
		name     string
		settings agent.CookieConfig
		token    string
		wantJKT  string // "": a bearer token
		wantErr  error
	}{
		{name: "bound to the current key", settings: on, token: bound(newJKT), wantJKT: newJKT},
		{name: "bound to the previous key", settings: on, token: bound(oldJKT), wantJKT: oldJKT},
		{name: "opaque, DPoP on", settings: on, token: "opaque-token", wantJKT: newJKT},
		{name: "JWT without cnf, DPoP on", settings: on, token: unbound},
		{name: "bound to a removed key", settings: on, token: bound(thumbprint(t, testKey)), wantErr: agent.ErrUnknownDPoPKey},
		{name: "opaque, DPoP off", settings: off, token: "opaque-token"},
		{name: "bound, DPoP off", settings: off, token: bound(oldJKT), wantErr: agent.ErrUnknownDPoPKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reader, err := agent.NewCookieReader(tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			// What the browser sent under these names must not pass.
			h := http.Header{"Authorization": {"Bearer forged"}, "Dpop": {"forged"}}
			err = reader.Present(h, tt.token, http.MethodDelete, target, "")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			switch {
			case tt.wantErr != nil:
				if h.Get("Authorization") != "Bearer forged" || h.Get("DPoP") != "forged" {
					t.Errorf("a refused token changed the headers: %v", h)
				}
			case tt.wantJKT == "":
				if h.Get("Authorization") != "Bearer "+tt.token || len(h.Values("DPoP")) != 0 {
					t.Errorf("headers %v, want a bearer token alone", h)
				}
			default:
				if h.Get("Authorization") != "DPoP "+tt.token {
					t.Errorf("Authorization %q", h.Get("Authorization"))
				}
				v, err := dpop.NewVerifier(dpop.Options{Replay: dpop.NewMemoryReplay(0, nil)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.Verify(t.Context(), h, dpop.Request{Method: http.MethodDelete, URL: target, AccessToken: tt.token, JKT: tt.wantJKT}); err != nil {
					t.Errorf("proof: %v", err)
				}
			}
		})
	}
}

// TestPortcullisDPoP needs the authorization server's DPoP support: the
// agent's tokens from Portcullis are bound to its key. The access token
// carries its thumbprint in cnf.jkt, userinfo takes it with a proof and
// refuses it as a bearer token (the point: the token alone, lifted out of
// the cookie, is worthless), and a refresh keeps the binding.
func TestPortcullisDPoP(t *testing.T) {
	as := authservertest.New(t)
	cfg := portcullisConfig(as)
	cfg.DPoP, cfg.DPoPKeys = true, agent.Keys{dpopSecret}
	// The test reads the cookie, so it must know the key startAgent would
	// pick.
	cfg.CookieEncryptionKey = agent.Keys{testKey}
	base, _ := startAgent(t, cfg)
	b := newBrowser(t, base, cfg)
	b.signIn(as.Username, as.Password)
	jkt := thumbprint(t, dpopSecret)
	token := b.accessToken(cfg)
	if got := cnfJKT(t, token); got != jkt {
		t.Fatalf("cnf.jkt %q, want the agent's key %s", got, jkt)
	}
	if a := b.get("/userInfo"); a.status != http.StatusOK {
		t.Errorf("userInfo: %d %s", a.status, a.body)
	}
	req, _ := http.NewRequest(http.MethodGet, as.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the bound token as a bearer token at userinfo: %d", resp.StatusCode)
	}
	if a := b.post("/refresh", nil); a.status != http.StatusNoContent {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	if next := b.accessToken(cfg); next == token || cnfJKT(t, next) != jkt {
		t.Errorf("after the refresh: a new token %v, bound to %q", next != token, cnfJKT(t, next))
	}
}

// accessToken reads the browser's access-token cookie as the gateway
// would.
func (b *browser) accessToken(cfg agent.Config) string {
	b.t.Helper()
	reader, err := agent.NewCookieReader(cfg.Cookies())
	if err != nil {
		b.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, b.origin+"/", nil)
	req.Header.Set("Origin", b.origin)
	req.Header.Set("Cookie", "pc-at="+b.cookie("pc-at", "/"))
	token, err := reader.AccessToken(req)
	if err != nil {
		b.t.Fatalf("access-token cookie: %v", err)
	}
	return token
}

// cnfJKT returns the cnf.jkt of a JWT access token.
func cnfJKT(t testing.TB, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c.Cnf.JKT
}
