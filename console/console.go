package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis/portcullis/keys"
	"github.com/portcullis/portcullis/theme"
)

// Path is where serve mounts the console, under the issuer.
const Path = "/console/"

// Config configures the console. The zero value does not build: Issuer
// and Secret are required.
type Config struct {
	// Issuer is the authorization server's issuer identifier: the console
	// signs in there and calls the management API under it. Required.
	Issuer string
	// Secret is the server secret (keys.Secret), at least keys.SecretSize
	// bytes: the built-in client's secret, the cookie key and the CSRF key
	// derive from it, so every instance sharing the store agrees. Required.
	Secret []byte
	// Transport carries the console's own requests to the issuer (token,
	// revocation, management API). serve gives it one that reaches the
	// main handler in process. Nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Theme names and colours the pages, as it does the sign-in pages
	// (config.Config.Theme). Nil means theme.Default().
	Theme *theme.Theme
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Log receives the failures people do not see in full. Nil means
	// slog.Default().
	Log *slog.Logger
}

// Console is the admin console's HTTP handler.
type Console struct {
	cfg    Config
	base   string // the console's path as browsers see it: the issuer's path plus Path
	secure bool   // cookies are Secure: the issuer is https
	oauth  oauth2.Config
	hc     *http.Client
	seal   *sealer
	csrf   []byte
	theme  *theme.Theme
	css    []byte // the theme's variables and the console's style sheet
	pages  *pages
	mux    *http.ServeMux
}

// New builds the console for cfg.
func New(cfg Config) (*Console, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("console: the issuer must be an http or https URL")
	}
	if len(cfg.Secret) < keys.SecretSize {
		return nil, fmt.Errorf("console: the secret must have at least %d bytes (keys.Secret)", keys.SecretSize)
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Theme == nil {
		cfg.Theme = theme.Default()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	seal, err := newSealer(derive(cfg.Secret, "cookie key"))
	if err != nil {
		return nil, err
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	c := &Console{
		cfg: cfg, base: strings.TrimSuffix(u.Path, "/") + Path, secure: u.Scheme == "https",
		oauth: oauth2.Config{
			ClientID: ClientID, ClientSecret: clientSecret(cfg.Secret),
			// The browser goes to the authorization endpoint; the token
			// endpoint is reached through Transport.
			Endpoint:    oauth2.Endpoint{AuthURL: cfg.Issuer + "/authorize", TokenURL: cfg.Issuer + "/token", AuthStyle: oauth2.AuthStyleInHeader},
			RedirectURL: cfg.Issuer + Path + "callback", Scopes: consoleScopes,
		},
		hc:    &http.Client{Transport: cfg.Transport, Timeout: 15 * time.Second},
		seal:  seal,
		csrf:  derive(cfg.Secret, "csrf key"),
		theme: cfg.Theme,
		css:   append(slices.Clip(cfg.Theme.Variables()), styleSheet...),
		pages: pg,
	}
	c.routes()
	return c, nil
}

// ServeHTTP serves the console's pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Pages are per user and hold CSRF tokens: never cached, never framed,
	// and no script runs on them. Inline style attributes are allowed
	// (the charts' SVG sets colours with them), style elements are not.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}
