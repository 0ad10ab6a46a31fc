package github

import (
	"errors"
	"strings"

	"github.com/portcullis/portcullis/connectors"
)

// Config is one GitHub (or GitHub Enterprise Server) upstream, as written
// under connectors: in the configuration (the lead's config package adds
// id and name).
type Config struct {
	// ClientID and ClientSecret are the OAuth app's (or GitHub App's)
	// credentials. Both are required.
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// BaseURL serves the authorize and token endpoints (/login/oauth/...).
	// Empty means https://github.com; GitHub Enterprise Server: its
	// https://HOST.
	BaseURL string `yaml:"base_url"`
	// APIURL is the REST API's root. Empty means https://api.github.com;
	// GitHub Enterprise Server: https://HOST/api/v3.
	APIURL string `yaml:"api_url"`
	// Scopes are requested. Empty means read:user, user:email and
	// read:org (read:org lets /user/orgs list private memberships).
	Scopes []string `yaml:"scopes"`
	// Orgs, when not empty, allows only members of at least one of these
	// organisations (by login, case-insensitive) to sign in. Empty allows
	// any GitHub user. An organisation that restricts OAuth app access
	// hides its membership until it approves the app. When set, the
	// groups are those of these organisations only (anyone can create an
	// organisation of any free name).
	Orgs []string `yaml:"orgs"`
	// TeamsAsGroups adds the user's teams as "org:team-slug" groups beside
	// the organisations' logins. Nil means true.
	TeamsAsGroups *bool `yaml:"teams_as_groups"`
}

// Defaults of the empty Config fields.
const (
	DefaultBaseURL = "https://github.com"
	DefaultAPIURL  = "https://api.github.com"
)

var defaultScopes = []string{"read:user", "user:email", "read:org"}

// Validate reports the first setting that is missing or wrong, named by
// its YAML key.
func (c Config) Validate() error {
	if c.ClientID == "" {
		return errors.New("client_id is required")
	}
	if c.ClientSecret == "" {
		return errors.New("client_secret is required")
	}
	if c.BaseURL != "" && !connectors.SecureURL(c.BaseURL) {
		return errors.New("base_url must be an https URL (http only on a loopback address)")
	}
	if c.APIURL != "" && !connectors.SecureURL(c.APIURL) {
		return errors.New("api_url must be an https URL (http only on a loopback address)")
	}
	for _, o := range c.Orgs {
		if o == "" {
			return errors.New("orgs must not contain an empty login")
		}
	}
	return nil
}

// withDefaults fills the empty fields.
func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	c.APIURL = strings.TrimSuffix(c.APIURL, "/")
	if len(c.Scopes) == 0 {
		c.Scopes = defaultScopes
	}
	if c.TeamsAsGroups == nil {
		yes := true
		c.TeamsAsGroups = &yes
	}
	return c
}
